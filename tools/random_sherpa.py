"""Write a random-weight sherpa-onnx streaming model of one family, in the released layout.

    python -m tools.random_sherpa OUT_DIR --family lstm [--seed 0] [--int8]

Each family's files have the names, the inputs and outputs (names, order, types)
and the metadata its sherpa-onnx loader reads (``csrc/online-*-model.cc``), and
a ``tokens.txt``. The graphs are small stand-ins built with ``onnx.helper``, not
the real architectures: strided frames, a layer norm, a few matrix products,
caches that go in and come back changed. The blank's logit gets a bias so
greedy search emits varied text on noise, the same for the same seed. Tests
build them in a temporary folder (a few milliseconds, tens of KB each).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tui_captions.asr.sherpa.model_dir import Family, SherpaDir, read_sherpa_dir

OPSET = 17
FEATURE_DIM = 80
WORD = "\u2581"
# Released names (sherpa-onnx-lstm-en-2023-02-17, NeMo streaming FastConformer CTC).
ICEFALL_STEM = "-epoch-99-avg-1"

Shape = Sequence[int | str]


@dataclass
class _Graph:
    """Nodes and random initializers of one ONNX graph, named in order."""

    rng: np.random.Generator
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[TensorProto] = field(default_factory=list)

    def _name(self, hint: str) -> str:
        return f"{hint}_{len(self.nodes) + len(self.initializers)}"

    def const(self, array: np.ndarray, hint: str = "const") -> str:
        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, rows: int, cols: int, gain: float = 1.0) -> str:
        matrix = self.rng.standard_normal((rows, cols)).astype(np.float32)
        return self.const(matrix * np.float32(gain / np.sqrt(rows)), "weight")

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64), "ints")

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        name = output or self._name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name

    def layer_norm(self, x: str, dim: int) -> str:
        ones = self.const(np.ones(dim, dtype=np.float32), "scale")
        zeros = self.const(np.zeros(dim, dtype=np.float32), "bias")
        return self.op("LayerNormalization", x, ones, zeros, axis=-1)

    def mix_state(
        self,
        state: str,
        summary: str,
        dims: tuple[int, int],
        output: str,
        batch_axes: tuple[int, ...] = (),
    ) -> str:
        """tanh(state / 2 + summary @ W): the cache changes with the audio, keeps its shape;
        ``batch_axes``: where the (N, dim) update gets axes of 1 to line up with the cache."""
        half = self.op("Mul", state, self.const(np.array(0.5, dtype=np.float32)))
        update = self.op("MatMul", summary, self.weight(*dims))
        if batch_axes:
            update = self.op("Unsqueeze", update, self.ints(*batch_axes))
        return self.op("Tanh", self.op("Add", half, update), output=output)

    def save(
        self,
        path: Path,
        inputs: Sequence[tuple[str, int, Shape]],
        outputs: Sequence[tuple[str, int, Shape]],
        metadata: Mapping[str, object],
    ) -> None:
        graph = helper.make_graph(
            self.nodes,
            path.stem,
            [helper.make_tensor_value_info(n, t, list(s)) for n, t, s in inputs],
            [helper.make_tensor_value_info(n, t, list(s)) for n, t, s in outputs],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8  # what onnxruntime 1.17+ reads
        helper.set_model_props(model, {key: str(value) for key, value in metadata.items()})
        onnx.checker.check_model(model)
        onnx.save(model, path)


def _pieces(count: int) -> list[str]:
    """BPE-like pieces: word starts and letters, enough for varied, readable text."""
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    words = [f"{WORD}{a}" for a in letters] + list(letters)
    words += [f"{WORD}{a}{b}" for a in letters for b in "aeiou"]
    return words[:count]


def _write_tokens(path: Path, symbols: Sequence[str]) -> None:
    path.write_text("".join(f"{symbol} {i}\n" for i, symbol in enumerate(symbols)))


def _file(directory: Path, role: str, stem: str, int8: bool) -> Path:
    return directory / f"{role}{stem}{'.int8' if int8 else ''}.onnx"


# --- the icefall transducer's decoder and joiner (every generic transducer family) --------


@dataclass(frozen=True)
class TransducerSize:
    joiner_dim: int = 32
    vocab_size: int = 64
    context_size: int = 2
    decoder_dim: int = 16
    blank_bias: float = 1.5


def _icefall_tokens(size: TransducerSize) -> list[str]:
    return ["<blk>", "<sos/eos>", "<unk>", *_pieces(size.vocab_size - 3)]


def _write_decoder_joiner(
    directory: Path, stem: str, int8: bool, size: TransducerSize, rng: np.random.Generator
) -> None:
    decoder = _Graph(rng)
    embedding = rng.standard_normal((size.vocab_size, size.decoder_dim)).astype(np.float32)
    embedded = decoder.op("Gather", decoder.const(embedding, "embedding"), "y")
    flat = decoder.op("Reshape", embedded, decoder.ints(0, size.context_size * size.decoder_dim))
    projected = decoder.weight(size.context_size * size.decoder_dim, size.joiner_dim)
    decoder.op("MatMul", flat, projected, output="decoder_out")
    decoder.save(
        _file(directory, "decoder", stem, int8),
        [("y", TensorProto.INT64, ("N", size.context_size))],
        [("decoder_out", TensorProto.FLOAT, ("N", size.joiner_dim))],
        {"vocab_size": size.vocab_size, "context_size": size.context_size},
    )
    joiner = _Graph(rng)
    hidden = joiner.op("Tanh", joiner.op("Add", "encoder_out", "decoder_out"))
    bias = np.zeros(size.vocab_size, dtype=np.float32)
    bias[0] = size.blank_bias
    logit = joiner.op("MatMul", hidden, joiner.weight(size.joiner_dim, size.vocab_size, gain=3.0))
    joiner.op("Add", logit, joiner.const(bias, "bias"), output="logit")
    joiner.save(
        _file(directory, "joiner", stem, int8),
        [
            ("encoder_out", TensorProto.FLOAT, ("N", size.joiner_dim)),
            ("decoder_out", TensorProto.FLOAT, ("N", size.joiner_dim)),
        ],
        [("logit", TensorProto.FLOAT, ("N", size.vocab_size))],
        {"joiner_dim": size.joiner_dim},
    )
    _write_tokens(directory / "tokens.txt", _icefall_tokens(size))


def _frames(graph: _Graph, x: str, first: int, count: int, step: int, dim: int) -> str:
    """Every ``step``-th of ``count`` feature frames from ``first`` (a 4x subsampling's
    output rate), layer-normed: (N, count / step, dim)."""
    sliced = graph.op(
        "Slice", x, graph.ints(first), graph.ints(first + count), graph.ints(1), graph.ints(step)
    )
    return graph.layer_norm(sliced, dim)


# --- LSTM transducer (csrc/online-lstm-transducer-model.cc) -----------------------------


@dataclass(frozen=True)
class LstmSize:
    num_encoder_layers: int = 2
    d_model: int = 24
    rnn_hidden_size: int = 40
    decode_chunk_len: int = 32
    right_context: int = 8
    transducer: TransducerSize = TransducerSize()


def write_lstm(
    directory: Path, seed: int = 0, int8: bool = False, size: LstmSize = LstmSize()
) -> None:
    """Encoder x, state0 (layers, N, d_model), state1 (layers, N, rnn_hidden_size) ->
    encoder_out, new_state0, new_state1; metadata as lstm_transducer_stateless2's export."""
    rng = np.random.default_rng(seed)
    joiner_dim = size.transducer.joiner_dim
    graph = _Graph(rng)
    frames = _frames(graph, "x", 0, size.decode_chunk_len, 4, FEATURE_DIM)
    hidden = graph.op("MatMul", frames, graph.weight(FEATURE_DIM, joiner_dim, gain=2.0))
    memory = graph.op("ReduceMean", "state0", axes=[0], keepdims=0)  # (N, d_model)
    recalled = graph.op("MatMul", memory, graph.weight(size.d_model, joiner_dim))
    recalled = graph.op("Unsqueeze", recalled, graph.ints(1))
    graph.op("Tanh", graph.op("Add", hidden, recalled), output="encoder_out")
    summary = graph.op("ReduceMean", hidden, axes=[1], keepdims=0)  # (N, joiner_dim)
    graph.mix_state("state0", summary, (joiner_dim, size.d_model), "new_state0")
    graph.mix_state("state1", summary, (joiner_dim, size.rnn_hidden_size), "new_state1")
    layers = size.num_encoder_layers
    graph.save(
        _file(directory, "encoder", ICEFALL_STEM, int8),
        [
            (
                "x",
                TensorProto.FLOAT,
                ("N", size.decode_chunk_len + size.right_context, FEATURE_DIM),
            ),
            ("state0", TensorProto.FLOAT, (layers, "N", size.d_model)),
            ("state1", TensorProto.FLOAT, (layers, "N", size.rnn_hidden_size)),
        ],
        [
            ("encoder_out", TensorProto.FLOAT, ("N", size.decode_chunk_len // 4, joiner_dim)),
            ("new_state0", TensorProto.FLOAT, (layers, "N", size.d_model)),
            ("new_state1", TensorProto.FLOAT, (layers, "N", size.rnn_hidden_size)),
        ],
        {
            "model_type": "lstm",
            "version": "1",
            "model_author": "captions-tui (random weights)",
            "num_encoder_layers": layers,
            "T": size.decode_chunk_len + size.right_context,
            "decode_chunk_len": size.decode_chunk_len,
            "rnn_hidden_size": size.rnn_hidden_size,
            "d_model": size.d_model,
        },
    )
    _write_decoder_joiner(directory, ICEFALL_STEM, int8, size.transducer, rng)


# --- NeMo cache-aware streaming CTC (csrc/online-nemo-ctc-model.cc) ----------------------


@dataclass(frozen=True)
class NemoSize:
    vocab_size: int = 48  # without the blank, as NeMo counts it
    d_model: int = 32
    layers: int = 2
    last_channel_cache: int = 16
    conv_context: int = 8
    chunk_shift: int = 16  # feature frames a chunk advances
    pre_encode_cache: int = 9
    subsampling_factor: int = 8
    blank_bias: float = 1.0

    @property
    def window_size(self) -> int:
        return self.chunk_shift + self.pre_encode_cache

    def cache_metadata(self) -> dict[str, int]:
        return {
            "cache_last_channel_dim1": self.layers,
            "cache_last_channel_dim2": self.last_channel_cache,
            "cache_last_channel_dim3": self.d_model,
            "cache_last_time_dim1": self.layers,
            "cache_last_time_dim2": self.d_model,
            "cache_last_time_dim3": self.conv_context,
        }


def _nemo_tokens(size: NemoSize) -> list[str]:
    return ["<unk>", *_pieces(size.vocab_size - 1), "<blk>"]


def _nemo_encoder(graph: _Graph, size: NemoSize) -> tuple[str, list[tuple[str, int, Shape]]]:
    """audio_signal (N, 80, T), length, three caches -> (N, T / 8, d_model) and the caches'
    next values (outputs 2-4); the caller makes outputs 0 and 1."""
    frames = graph.op("Transpose", "audio_signal", perm=[0, 2, 1])  # (N, T, 80)
    shift, step = size.chunk_shift, size.subsampling_factor
    frames = _frames(graph, frames, size.pre_encode_cache, shift, step, FEATURE_DIM)
    hidden = graph.op("MatMul", frames, graph.weight(FEATURE_DIM, size.d_model, gain=2.0))
    memory = graph.op("ReduceMean", "cache_last_channel", axes=[1, 2], keepdims=0)  # (N, d)
    recalled = graph.op(
        "Unsqueeze",
        graph.op("MatMul", memory, graph.weight(size.d_model, size.d_model)),
        graph.ints(1),
    )
    encoded = graph.op("Tanh", graph.op("Add", hidden, recalled))
    summary = graph.op("ReduceMean", hidden, axes=[1], keepdims=0)
    d = size.d_model
    graph.mix_state("cache_last_channel", summary, (d, d), "cache_last_channel_next", (1, 2))
    graph.mix_state("cache_last_time", summary, (d, d), "cache_last_time_next", (1, 3))
    grown = graph.op("Add", "cache_last_channel_len", graph.ints(shift // step))
    graph.op(
        "Min", grown, graph.ints(size.last_channel_cache), output="cache_last_channel_len_next"
    )
    layers = size.layers
    caches: list[tuple[str, int, Shape]] = [
        ("cache_last_channel_next", TensorProto.FLOAT, ("N", layers, size.last_channel_cache, d)),
        ("cache_last_time_next", TensorProto.FLOAT, ("N", layers, d, size.conv_context)),
        ("cache_last_channel_len_next", TensorProto.INT64, ("N",)),
    ]
    return encoded, caches


def _nemo_inputs(size: NemoSize) -> list[tuple[str, int, Shape]]:
    layers, d = size.layers, size.d_model
    return [
        ("audio_signal", TensorProto.FLOAT, ("N", FEATURE_DIM, "T")),
        ("length", TensorProto.INT64, ("N",)),
        ("cache_last_channel", TensorProto.FLOAT, ("N", layers, size.last_channel_cache, d)),
        ("cache_last_time", TensorProto.FLOAT, ("N", layers, d, size.conv_context)),
        ("cache_last_channel_len", TensorProto.INT64, ("N",)),
    ]


def write_nemo_ctc(
    directory: Path, seed: int = 0, int8: bool = False, size: NemoSize = NemoSize()
) -> None:
    """``model.onnx`` as NeMo's export with ``cache_support``: five inputs -> log-probs,
    their lengths and the three caches; metadata as sherpa-onnx's export-onnx-ctc.py."""
    rng = np.random.default_rng(seed)
    graph = _Graph(rng)
    classes = size.vocab_size + 1
    encoded, caches = _nemo_encoder(graph, size)
    bias = np.zeros(classes, dtype=np.float32)
    bias[-1] = size.blank_bias
    logits = graph.op("MatMul", encoded, graph.weight(size.d_model, classes, gain=3.0))
    logits = graph.op("Add", logits, graph.const(bias, "bias"))
    graph.op("LogSoftmax", logits, axis=-1, output="logprobs")
    graph.op("Div", "length", graph.ints(size.subsampling_factor), output="encoded_lengths")
    graph.save(
        directory / f"model{'.int8' if int8 else ''}.onnx",
        _nemo_inputs(size),
        [
            ("logprobs", TensorProto.FLOAT, ("N", "T_out", classes)),
            ("encoded_lengths", TensorProto.INT64, ("N",)),
            *caches,
        ],
        {
            "vocab_size": size.vocab_size,
            "window_size": size.window_size,
            "chunk_shift": size.chunk_shift,
            "normalize_type": "per_feature",
            "subsampling_factor": size.subsampling_factor,
            "model_type": "EncDecHybridRNNTCTCBPEModel",
            "version": "1",
            "model_author": "captions-tui (random weights)",
            **size.cache_metadata(),
        },
    )
    _write_tokens(directory / "tokens.txt", _nemo_tokens(size))


BUILDERS: dict[Family, Callable[..., None]] = {
    "lstm": write_lstm,
    "nemo_ctc": write_nemo_ctc,
}


def make_random_sherpa(
    directory: Path, family: Family, seed: int = 0, int8: bool = False
) -> SherpaDir:
    """Write ``family``'s random model into ``directory`` (created) and read it back."""
    directory.mkdir(parents=True, exist_ok=True)
    BUILDERS[family](directory, seed=seed, int8=int8)
    return read_sherpa_dir(directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write")
    parser.add_argument("--family", choices=sorted(BUILDERS), required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--int8", action="store_true", help="name the files *.int8.onnx")
    args = parser.parse_args()
    model = make_random_sherpa(args.out, args.family, args.seed, args.int8)
    print(f"wrote {args.out} ({model.family}: {', '.join(p.name for p in model.onnx_files)})")


if __name__ == "__main__":
    main()
