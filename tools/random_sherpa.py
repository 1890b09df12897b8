"""Write a random-weight sherpa-onnx streaming model of one family, in the released layout.

    python -m tools.random_sherpa OUT_DIR --family lstm [--seed 0] [--int8]
    python -m tools.random_sherpa OUT_DIR --size 70m --quantize   # for bench.engines

Each family's files have the names, the inputs and outputs (names, order, types)
and the metadata its sherpa-onnx loader reads (``csrc/online-*-model.cc``), and
a ``tokens.txt``. The graphs are stand-ins built with ``onnx.helper``, not the
real architectures: every 4th (NeMo: 8th) feature frame, a layer norm, matrix
products, and caches that go in and come back changed, per stream (a batch of
streams decodes as each alone). The blank's logit gets a bias so greedy search
emits varied text on noise, the same for the same seed. The ``tiny`` models
take milliseconds to build and tens of KB; ``70m`` is the 70 M zipformer's
contract and parameter count (2023-06-21: zipformer v1, 5 stacks of 384), to
time the engine on, not to test with.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tui_captions.asr.sherpa.model_dir import (
    ENCODER_CONTRACTS,
    Family,
    SherpaDir,
    read_sherpa_dir,
)

OPSET = 17
# Digital silence is log(eps) = -15.9 in every bin of sherpa-onnx's features; speech and
# even -60 dB noise are louder: a frame below this is silent and the model writes nothing.
SILENT_LOG_MEL = -14.5
SILENCE_BLANK = 8.0  # the blank's score from a silent frame
FEATURE_DIM = 80
WORD = "\u2581"
ICEFALL_STEM = "-epoch-99-avg-1"  # sherpa-onnx-lstm-en-2023-02-17, ...-zipformer-en-2023-06-21
ZIPFORMER2_STEM = "-epoch-99-avg-1-chunk-16-left-128"  # ...-zipformer-en-2023-06-26
FLOAT, INT64, INT32 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32

Shape = Sequence[int | str]
Value = tuple[str, int, Shape]  # name, element type, shape ("N": the batch axis)


@dataclass(frozen=True)
class State:
    """A cache the encoder takes and gives back changed: ``name`` in, ``out`` out."""

    name: str
    out: str
    shape: Shape
    dtype: int = FLOAT

    @property
    def batch_axis(self) -> int:
        return list(self.shape).index("N")


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

    def weight(self, *shape: int, gain: float = 1.0, free_first: bool = False) -> str:
        """Random, scaled to keep unit variance; ``free_first``: nothing in output channel 0,
        which carries silence alone (see ``_encoder``)."""
        matrix = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(
            gain / np.sqrt(shape[0])
        )
        if free_first:
            matrix[..., 0] = 0.0
        return self.const(matrix, "weight")

    def scores(self, dim: int, classes: int, blank: int) -> str:
        """Hidden (dim) -> token scores; channel 0, silence, votes for the blank alone."""
        matrix = self.rng.standard_normal((dim, classes), dtype=np.float32) * np.float32(
            3.0 / np.sqrt(dim)
        )
        matrix[0] = 0.0
        matrix[0, blank] = SILENCE_BLANK
        return self.const(matrix, "scores")

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64), "ints")

    def scalar(self, value: float) -> str:
        return self.const(np.array(value, dtype=np.float32), "scalar")

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        name = output or self._name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name

    def layer_norm(self, x: str, dim: int) -> str:
        ones = self.const(np.ones(dim, dtype=np.float32), "scale")
        zeros = self.const(np.zeros(dim, dtype=np.float32), "bias")
        return self.op("LayerNormalization", x, ones, zeros, axis=-1)

    def save(
        self,
        path: Path,
        inputs: Sequence[Value],
        outputs: Sequence[Value],
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
        onnx.save(model, path)


def _frames(graph: _Graph, x: str, first: int, count: int, step: int) -> tuple[str, str]:
    """Every ``step``-th of ``count`` feature frames from ``first`` (the encoder's output
    rate), less the chunk's mean (speech's spectral tilt would make every frame alike),
    layer-normed: (N, count / step, 80); and how silent each is, 0 to 1: (N, count / step, 1)."""
    ends = graph.ints(first + count)
    sliced = graph.op("Slice", x, graph.ints(first), ends, graph.ints(1), graph.ints(step))
    centred = graph.op("Sub", sliced, graph.op("ReduceMean", sliced, axes=[1], keepdims=1))
    loudness = graph.op("ReduceMean", sliced, axes=[2], keepdims=1)
    quiet = graph.op("Sub", graph.scalar(SILENT_LOG_MEL), loudness)
    silence = graph.op("Sigmoid", graph.op("Mul", quiet, graph.scalar(4.0)))
    return graph.layer_norm(centred, FEATURE_DIM), silence


def _encoder(
    graph: _Graph,
    frames: tuple[str, str],
    dim: int,
    states: Sequence[State],
    layers: int = 0,
    ffn: int = 0,
) -> str:
    """``_frames`` -> (N, T, dim); each state's ``out`` made from it, per stream.

    Channel 0 is the frame's silence (x3) and nothing else; the rest tanh of random
    projections. The first float state feeds back into the output, so the caches matter;
    ``layers`` residual feed-forward blocks of width ``ffn`` give a real model's size."""
    normed, silence = frames
    hidden = graph.op("MatMul", normed, graph.weight(FEATURE_DIM, dim, gain=2.0, free_first=True))
    memory_state = next(state for state in states if state.dtype == FLOAT)
    others = [axis for axis in range(len(memory_state.shape)) if axis != memory_state.batch_axis]
    memory = graph.op("ReduceMean", memory_state.name, axes=others, keepdims=0)  # (N,)
    memory = graph.op("Reshape", memory, graph.ints(-1, 1, 1))
    recalled = graph.op("Mul", memory, graph.weight(1, dim, gain=2.0, free_first=True))
    hidden = graph.op("Add", hidden, recalled)
    for _ in range(layers):
        inner = graph.op("Relu", graph.op("MatMul", hidden, graph.weight(dim, ffn)))
        hidden = graph.op(
            "Add",
            hidden,
            graph.op("MatMul", inner, graph.weight(ffn, dim, gain=0.1, free_first=True)),
        )
    summary = graph.op("ReduceMean", hidden, axes=[1, 2], keepdims=0)  # (N,)
    for state in states:
        if state.dtype != FLOAT:
            graph.op("Add", state.name, graph.ints(1), output=state.out)
            continue
        axes = [-1 if axis == state.batch_axis else 1 for axis in range(len(state.shape))]
        update = graph.op("Reshape", summary, graph.ints(*axes))
        halved = graph.op("Mul", state.name, graph.scalar(0.5))
        graph.op("Tanh", graph.op("Add", halved, update), output=state.out)
    first = np.zeros(dim, dtype=np.float32)
    first[0] = 3.0
    flagged = graph.op("Mul", silence, graph.const(first, "silence_channel"))
    return graph.op("Add", graph.op("Tanh", hidden), flagged)


def _state_values(states: Sequence[State]) -> tuple[list[Value], list[Value]]:
    return (
        [(s.name, s.dtype, s.shape) for s in states],
        [(s.out, s.dtype, s.shape) for s in states],
    )


def _pieces(count: int) -> list[str]:
    """BPE-like pieces: word starts and letters, enough for varied, readable text."""
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    words = [f"{WORD}{a}" for a in letters] + list(letters)
    words += [f"{WORD}{a}{b}" for a in letters for b in "aeiou"]
    words += [f"{a}{b}{c}" for a in letters for b in "aeiou" for c in letters]
    return words[:count]


def _bias(classes: int, blank: int, blank_bias: float, never: Sequence[int]) -> np.ndarray:
    """The output bias: the blank wins often enough for a speech-like token rate; ``never``
    (<sos/eos>, <unk>) are ids a trained model does not emit."""
    bias = np.zeros(classes, dtype=np.float32)
    bias[blank] = blank_bias
    bias[list(never)] = -20.0
    return bias


def _write_tokens(path: Path, symbols: Sequence[str]) -> None:
    path.write_text("".join(f"{symbol} {i}\n" for i, symbol in enumerate(symbols)))


def _file(directory: Path, role: str, stem: str, int8: bool) -> Path:
    return directory / f"{role}{stem}{'.int8' if int8 else ''}.onnx"


def _author(extra: Mapping[str, object]) -> dict[str, object]:
    return {"version": "1", "model_author": "captions-tui (random weights)", **extra}


# --- the icefall transducers' decoder and joiner ---------------------------------------------


@dataclass(frozen=True)
class Icefall:
    """The sizes shared by icefall's streaming transducers (a stateless decoder)."""

    joiner_dim: int = 32
    vocab_size: int = 64
    context_size: int = 2
    decoder_dim: int = 16
    decode_chunk_len: int = 32
    blank_bias: float = 4.0
    layers: int = 0  # feed-forward blocks in the encoder (size, not function)
    ffn: int = 0


def _write_decoder_joiner(
    directory: Path, stem: str, int8: bool, size: Icefall, rng: np.random.Generator
) -> None:
    """Decoder y (N, context) -> decoder_out; joiner (encoder_out, decoder_out) -> logit."""
    decoder = _Graph(rng)
    embedding = decoder.const(
        rng.standard_normal((size.vocab_size, size.decoder_dim), dtype=np.float32), "embedding"
    )
    embedded = decoder.op("Gather", embedding, "y")
    width = size.context_size * size.decoder_dim
    flat = decoder.op("Reshape", embedded, decoder.ints(0, width))
    projection = decoder.weight(width, size.joiner_dim, free_first=True)
    decoder.op("MatMul", flat, projection, output="decoder_out")
    decoder.save(
        _file(directory, "decoder", stem, int8),
        [("y", INT64, ("N", size.context_size))],
        [("decoder_out", FLOAT, ("N", size.joiner_dim))],
        _author({"vocab_size": size.vocab_size, "context_size": size.context_size}),
    )
    joiner = _Graph(rng)
    hidden = joiner.op("Tanh", joiner.op("Add", "encoder_out", "decoder_out"))
    bias = _bias(size.vocab_size, blank=0, blank_bias=size.blank_bias, never=(1, 2))
    logit = joiner.op("MatMul", hidden, joiner.scores(size.joiner_dim, size.vocab_size, blank=0))
    joiner.op("Add", logit, joiner.const(bias, "bias"), output="logit")
    joiner.save(
        _file(directory, "joiner", stem, int8),
        [
            ("encoder_out", FLOAT, ("N", size.joiner_dim)),
            ("decoder_out", FLOAT, ("N", size.joiner_dim)),
        ],
        [("logit", FLOAT, ("N", size.vocab_size))],
        _author({"joiner_dim": size.joiner_dim}),
    )
    _write_tokens(
        directory / "tokens.txt", ["<blk>", "<sos/eos>", "<unk>", *_pieces(size.vocab_size - 3)]
    )


def _write_icefall(
    directory: Path,
    stem: str,
    int8: bool,
    size: Icefall,
    seed: int,
    chunk_frames: int,
    states: Sequence[State],
    metadata: Mapping[str, object],
    extra_inputs: Sequence[Value] = (),
) -> None:
    """An icefall transducer: encoder x (N, T, 80), ``extra_inputs``, the states -> encoder_out
    (every 4th of the chunk's frames), the states' next values; then decoder and joiner."""
    rng = np.random.default_rng(seed)
    graph = _Graph(rng)
    frames = _frames(graph, "x", 0, size.decode_chunk_len, 4)
    encoded = _encoder(graph, frames, size.joiner_dim, states, size.layers, size.ffn)
    graph.op("Identity", encoded, output="encoder_out")
    state_inputs, state_outputs = _state_values(states)
    graph.save(
        _file(directory, "encoder", stem, int8),
        [("x", FLOAT, ("N", chunk_frames, FEATURE_DIM)), *state_inputs, *extra_inputs],
        [
            ("encoder_out", FLOAT, ("N", size.decode_chunk_len // 4, size.joiner_dim)),
            *state_outputs,
        ],
        _author({"T": chunk_frames, "decode_chunk_len": size.decode_chunk_len, **metadata}),
    )
    _write_decoder_joiner(directory, stem, int8, size, rng)


# --- LSTM (csrc/online-lstm-transducer-model.cc) ---------------------------------------------


def _contract_ints(family: Family, size: object) -> dict[str, int]:
    """The integer keys the checker reads for ``family``, from the size's fields of the same
    names: sherpa-onnx loading the model (the tests do) then also shows the list is whole."""
    return {key: getattr(size, key) for key in ENCODER_CONTRACTS[family].ints}


@dataclass(frozen=True)
class Lstm:
    num_encoder_layers: int = 2
    d_model: int = 24
    rnn_hidden_size: int = 40
    right_context: int = 8
    icefall: Icefall = Icefall()


def write_lstm(directory: Path, seed: int = 0, int8: bool = False, size: Lstm = Lstm()) -> None:
    """x, state0 (layers, N, d_model), state1 (layers, N, rnn_hidden_size) -> encoder_out,
    new_state0, new_state1 (lstm_transducer_stateless2's export-onnx.py)."""
    layers = size.num_encoder_layers
    states = [
        State("state0", "new_state0", (layers, "N", size.d_model)),
        State("state1", "new_state1", (layers, "N", size.rnn_hidden_size)),
    ]
    metadata = {"model_type": "lstm", **_contract_ints("lstm", size)}
    chunk = size.icefall.decode_chunk_len + size.right_context
    _write_icefall(directory, ICEFALL_STEM, int8, size.icefall, seed, chunk, states, metadata)


# --- conformer (csrc/online-conformer-transducer-model.cc) -----------------------------------


@dataclass(frozen=True)
class Conformer:
    num_encoder_layers: int = 2
    encoder_dim: int = 16
    left_context: int = 16
    cnn_module_kernel: int = 5
    pad_length: int = 7
    icefall: Icefall = Icefall()


def write_conformer(
    directory: Path, seed: int = 0, int8: bool = False, size: Conformer = Conformer()
) -> None:
    """x, cached_attn (layers, left, N, dim), cached_conv (layers, kernel - 1, N, dim),
    processed_lens (N,) -> encoder_out, next_cached_attn, next_cached_conv."""
    layers, dim = size.num_encoder_layers, size.encoder_dim
    states = [
        State("cached_attn", "next_cached_attn", (layers, size.left_context, "N", dim)),
        State("cached_conv", "next_cached_conv", (layers, size.cnn_module_kernel - 1, "N", dim)),
    ]
    metadata = {"model_type": "conformer", **_contract_ints("conformer", size)}
    chunk = size.icefall.decode_chunk_len + size.pad_length
    lens: list[Value] = [("processed_lens", INT64, ("N",))]
    _write_icefall(directory, ICEFALL_STEM, int8, size.icefall, seed, chunk, states, metadata, lens)


# --- ebranchformer (csrc/online-ebranchformer-transducer-model.cc) ---------------------------


@dataclass(frozen=True)
class Ebranchformer:
    num_hidden_layers: int = 2
    hidden_size: int = 16
    intermediate_size: int = 32
    csgu_kernel_size: int = 5
    merge_conv_kernel: int = 3
    left_context_len: int = 16
    num_heads: int = 2
    head_dim: int = 8
    icefall: Icefall = Icefall()


def write_ebranchformer(
    directory: Path, seed: int = 0, int8: bool = False, size: Ebranchformer = Ebranchformer()
) -> None:
    """x, per layer cached_key, cached_value, cached_conv, cached_conv_fusion, then
    processed_lens -> encoder_out and the same, next."""
    states: list[State] = []
    for i in range(size.num_hidden_layers):
        attention = ("N", size.num_heads, size.left_context_len, size.head_dim)
        states += [
            State(f"cached_key_{i}", f"new_cached_key_{i}", attention),
            State(f"cached_value_{i}", f"new_cached_value_{i}", attention),
            State(
                f"cached_conv_{i}",
                f"new_cached_conv_{i}",
                ("N", size.intermediate_size // 2, size.csgu_kernel_size - 1),
            ),
            State(
                f"cached_conv_fusion_{i}",
                f"new_cached_conv_fusion_{i}",
                ("N", 2 * size.hidden_size, size.merge_conv_kernel - 1),
            ),
        ]
    states.append(State("processed_lens", "new_processed_lens", ("N",), INT64))
    metadata = {"model_type": "ebranchformer", **_contract_ints("ebranchformer", size)}
    chunk = size.icefall.decode_chunk_len + 8
    _write_icefall(directory, ICEFALL_STEM, int8, size.icefall, seed, chunk, states, metadata)


# --- zipformer v1 (csrc/online-zipformer-transducer-model.cc) --------------------------------


@dataclass(frozen=True)
class Zipformer:
    num_encoder_layers: tuple[int, ...] = (1, 1)
    encoder_dims: tuple[int, ...] = (16, 16)
    attention_dims: tuple[int, ...] = (8, 8)
    cnn_module_kernels: tuple[int, ...] = (3, 3)
    left_context_len: tuple[int, ...] = (8, 4)
    icefall: Icefall = Icefall()


def _csv(values: Sequence[int]) -> str:
    return ",".join(map(str, values))


def write_zipformer(
    directory: Path, seed: int = 0, int8: bool = False, size: Zipformer = Zipformer()
) -> None:
    """x, then per kind and stack cached_len, cached_avg, cached_key, cached_val, cached_val2,
    cached_conv1, cached_conv2 (pruned_transducer_stateless7_streaming's export-onnx.py)."""
    stacks = range(len(size.encoder_dims))
    layers, dims, attention = size.num_encoder_layers, size.encoder_dims, size.attention_dims
    left, kernels = size.left_context_len, size.cnn_module_kernels
    shapes: dict[str, Callable[[int], Shape]] = {
        "cached_len": lambda i: (layers[i], "N"),
        "cached_avg": lambda i: (layers[i], "N", dims[i]),
        "cached_key": lambda i: (layers[i], left[i], "N", attention[i]),
        "cached_val": lambda i: (layers[i], left[i], "N", attention[i] // 2),
        "cached_val2": lambda i: (layers[i], left[i], "N", attention[i] // 2),
        "cached_conv1": lambda i: (layers[i], "N", dims[i], kernels[i] - 1),
        "cached_conv2": lambda i: (layers[i], "N", dims[i], kernels[i] - 1),
    }
    states = [
        State(f"{kind}_{i}", f"new_{kind}_{i}", shape(i), INT64 if kind == "cached_len" else FLOAT)
        for kind, shape in shapes.items()
        for i in stacks
    ]
    metadata = {
        "model_type": "zipformer",
        "encoder_dims": _csv(dims),
        "attention_dims": _csv(attention),
        "num_encoder_layers": _csv(layers),
        "cnn_module_kernels": _csv(kernels),
        "left_context_len": _csv(left),
    }
    chunk = size.icefall.decode_chunk_len + 7
    _write_icefall(directory, ICEFALL_STEM, int8, size.icefall, seed, chunk, states, metadata)


# The 70 M English zipformer (sherpa-onnx-streaming-zipformer-en-2023-06-21): its stacks and
# caches, 500 BPE pieces; 15 feed-forward blocks make up the encoder's ~68 M parameters.
ZIPFORMER_70M = Zipformer(
    num_encoder_layers=(2, 4, 3, 2, 4),
    encoder_dims=(384,) * 5,
    attention_dims=(192,) * 5,
    cnn_module_kernels=(31,) * 5,
    left_context_len=(64, 32, 16, 8, 32),
    icefall=Icefall(joiner_dim=512, vocab_size=500, decoder_dim=512, layers=15, ffn=4400),
)


# --- zipformer2 (csrc/online-zipformer2-transducer-model.cc, -ctc-model.cc) -----------------


@dataclass(frozen=True)
class Zipformer2:
    encoder_dims: tuple[int, ...] = (16, 16)
    query_head_dims: tuple[int, ...] = (4, 4)
    value_head_dims: tuple[int, ...] = (4, 4)
    num_heads: tuple[int, ...] = (2, 2)
    num_encoder_layers: tuple[int, ...] = (1, 1)
    cnn_module_kernels: tuple[int, ...] = (3, 3)
    left_context_len: tuple[int, ...] = (8, 4)
    icefall: Icefall = Icefall()

    def metadata(self) -> dict[str, object]:
        lists = (
            "encoder_dims",
            "query_head_dims",
            "value_head_dims",
            "num_heads",
            "num_encoder_layers",
            "cnn_module_kernels",
            "left_context_len",
        )
        return {key: _csv(getattr(self, key)) for key in lists}

    def states(self) -> list[State]:
        """Per layer key, nonlin_attn, val1, val2, conv1, conv2; embed_states, processed_lens."""
        states: list[State] = []
        layer = 0
        for i, dim in enumerate(self.encoder_dims):
            left, kernel = self.left_context_len[i], self.cnn_module_kernels[i]
            key_dim = self.query_head_dims[i] * self.num_heads[i]
            value_dim = self.value_head_dims[i] * self.num_heads[i]
            for _ in range(self.num_encoder_layers[i]):
                shapes: dict[str, Shape] = {
                    "cached_key": (left, "N", key_dim),
                    "cached_nonlin_attn": (1, "N", left, 3 * dim // 4),
                    "cached_val1": (left, "N", value_dim),
                    "cached_val2": (left, "N", value_dim),
                    "cached_conv1": ("N", dim, kernel // 2),
                    "cached_conv2": ("N", dim, kernel // 2),
                }
                states += [State(f"{k}_{layer}", f"new_{k}_{layer}", s) for k, s in shapes.items()]
                layer += 1
        embed_dim = ((FEATURE_DIM - 1) // 2 - 1) // 2
        states.append(State("embed_states", "new_embed_states", ("N", 128, 3, embed_dim)))
        states.append(State("processed_lens", "new_processed_lens", ("N",), INT64))
        return states

    @property
    def chunk_frames(self) -> int:
        return self.icefall.decode_chunk_len + 13  # the encoder_embed's right padding


def write_zipformer2(
    directory: Path, seed: int = 0, int8: bool = False, size: Zipformer2 = Zipformer2()
) -> None:
    """zipformer/export-onnx-streaming.py's transducer."""
    metadata = {"model_type": "zipformer2", **size.metadata()}
    _write_icefall(
        directory,
        ZIPFORMER2_STEM,
        int8,
        size.icefall,
        seed,
        size.chunk_frames,
        size.states(),
        metadata,
    )


def write_zipformer2_ctc(
    directory: Path, seed: int = 0, int8: bool = False, size: Zipformer2 = Zipformer2()
) -> None:
    """zipformer/export-onnx-streaming-ctc.py: the zipformer2 encoder's inputs; log_probs
    (N, T, vocab) then the states (``ctc-epoch-...onnx``, as the released CTC models)."""
    rng = np.random.default_rng(seed)
    graph = _Graph(rng)
    icefall = size.icefall
    states = size.states()
    frames = _frames(graph, "x", 0, icefall.decode_chunk_len, 4)
    encoded = _encoder(graph, frames, icefall.joiner_dim, states)
    bias = _bias(icefall.vocab_size, blank=0, blank_bias=icefall.blank_bias, never=(1, 2))
    logits = graph.op(
        "MatMul", encoded, graph.scores(icefall.joiner_dim, icefall.vocab_size, blank=0)
    )
    logits = graph.op("Add", logits, graph.const(bias, "bias"))
    graph.op("LogSoftmax", logits, axis=-1, output="log_probs")
    state_inputs, state_outputs = _state_values(states)
    graph.save(
        directory / f"ctc{ZIPFORMER2_STEM}{'.int8' if int8 else ''}.onnx",
        [("x", FLOAT, ("N", size.chunk_frames, FEATURE_DIM)), *state_inputs],
        [
            ("log_probs", FLOAT, ("N", icefall.decode_chunk_len // 4, icefall.vocab_size)),
            *state_outputs,
        ],
        _author(
            {
                "model_type": "zipformer2",
                "T": size.chunk_frames,
                "decode_chunk_len": icefall.decode_chunk_len,
                **size.metadata(),
            }
        ),
    )
    _write_tokens(
        directory / "tokens.txt", ["<blk>", "<sos/eos>", "<unk>", *_pieces(icefall.vocab_size - 3)]
    )


# --- NeMo cache-aware streaming (csrc/online-transducer-nemo-model.cc, -nemo-ctc-model.cc) --


@dataclass(frozen=True)
class Nemo:
    vocab_size: int = 48  # without the blank, as NeMo counts it
    d_model: int = 32
    layers: int = 2
    last_channel_cache: int = 16
    conv_context: int = 8
    chunk_shift: int = 16  # feature frames a chunk advances
    pre_encode_cache: int = 9
    subsampling_factor: int = 8
    pred_rnn_layers: int = 1
    pred_hidden: int = 24
    blank_bias: float = 4.0
    # Nemotron 3.5: the encoder's prompt_index input and its languages' prompt ids.
    prompts: Mapping[str, int] = field(default_factory=dict)

    @property
    def window_size(self) -> int:
        return self.chunk_shift + self.pre_encode_cache

    def metadata(self) -> dict[str, object]:
        blob: dict[str, object] = {
            "vocab_size": self.vocab_size,
            "window_size": self.window_size,
            "chunk_shift": self.chunk_shift,
            "normalize_type": "per_feature",
            "subsampling_factor": self.subsampling_factor,
            "pred_rnn_layers": self.pred_rnn_layers,
            "pred_hidden": self.pred_hidden,
            "model_type": "EncDecHybridRNNTCTCBPEModel",
            "cache_last_channel_dim1": self.layers,
            "cache_last_channel_dim2": self.last_channel_cache,
            "cache_last_channel_dim3": self.d_model,
            "cache_last_time_dim1": self.layers,
            "cache_last_time_dim2": self.d_model,
            "cache_last_time_dim3": self.conv_context,
        }
        if self.prompts:
            blob["prompt_dictionary"] = json.dumps(dict(self.prompts))
            blob["auto_prompt_id"] = self.prompts.get("auto", 0)
        return _author(blob)


REPEAT_PENALTY = 8.0
NEMOTRON_35_PROMPTS = {"auto": 3, "en-US": 0, "fr-FR": 1, "de-DE": 2}


def _nemo_encoder(graph: _Graph, size: Nemo) -> tuple[str, list[Value], list[Value]]:
    """audio_signal (N, 80, T), length, three caches [, prompt_index] -> (N, T / 8, d_model),
    the inputs, and the caches' next values (outputs 2-4; the caller makes 0 and 1)."""
    features = graph.op("Transpose", "audio_signal", perm=[0, 2, 1])  # (N, T, 80)
    frames = _frames(
        graph, features, size.pre_encode_cache, size.chunk_shift, size.subsampling_factor
    )
    layers, d = size.layers, size.d_model
    states = [
        State(
            "cache_last_channel",
            "cache_last_channel_next",
            ("N", layers, size.last_channel_cache, d),
        ),
        State("cache_last_time", "cache_last_time_next", ("N", layers, d, size.conv_context)),
        State("cache_last_channel_len", "cache_last_channel_next_len", ("N",), INT64),
    ]
    encoded = _encoder(graph, frames, d, states)
    inputs: list[Value] = [
        ("audio_signal", FLOAT, ("N", FEATURE_DIM, "T")),
        ("length", INT64, ("N",)),
    ]
    state_inputs, state_outputs = _state_values(states)
    inputs += state_inputs
    if size.prompts:
        # the language shifts the output: a prompt's own direction, per stream
        directions = graph.rng.standard_normal((max(size.prompts.values()) + 1, d))
        directions[:, 0] = 0.0  # channel 0 is silence's
        table = graph.const(directions.astype(np.float32), "prompts")
        prompt = graph.op("Unsqueeze", graph.op("Gather", table, "prompt_index"), graph.ints(1))
        encoded = graph.op("Tanh", graph.op("Add", encoded, prompt))
        inputs.append(("prompt_index", INT64, ("N",)))
    return encoded, inputs, state_outputs


def write_nemo_ctc(directory: Path, seed: int = 0, int8: bool = False, size: Nemo = Nemo()) -> None:
    """``model.onnx`` as NeMo's export with ``cache_support``: five inputs -> log-probs, their
    lengths and the three caches (sherpa-onnx's export-onnx-ctc.py)."""
    graph = _Graph(np.random.default_rng(seed))
    classes = size.vocab_size + 1
    encoded, inputs, caches = _nemo_encoder(graph, size)
    bias = _bias(classes, blank=classes - 1, blank_bias=size.blank_bias, never=(0,))
    logits = graph.op("MatMul", encoded, graph.scores(size.d_model, classes, classes - 1))
    logits = graph.op("Add", logits, graph.const(bias, "bias"))
    graph.op("LogSoftmax", logits, axis=-1, output="logprobs")
    graph.op("Div", "length", graph.ints(size.subsampling_factor), output="encoded_lengths")
    graph.save(
        directory / f"model{'.int8' if int8 else ''}.onnx",
        inputs,
        [("logprobs", FLOAT, ("N", "T_out", classes)), ("encoded_lengths", INT64, ("N",)), *caches],
        size.metadata(),
    )
    _write_tokens(directory / "tokens.txt", _nemo_tokens(size))


def _nemo_tokens(size: Nemo) -> list[str]:
    return ["<unk>", *_pieces(size.vocab_size - 1), "<blk>"]


def write_nemo_transducer(
    directory: Path, seed: int = 0, int8: bool = False, size: Nemo = Nemo(blank_bias=5.0)
) -> None:
    """encoder.onnx (outputs (N, d, T) as NeMo's), decoder.onnx (an LSTM's contract: targets,
    target_length, two states -> outputs (N, classes, 1), lengths, two states), joiner.onnx
    (sherpa-onnx's export-onnx-transducer.py; ``prompts``: Nemotron 3.5's multilingual encoder)."""
    rng = np.random.default_rng(seed)
    suffix = ".int8.onnx" if int8 else ".onnx"
    d, hidden, layers = size.d_model, size.pred_hidden, size.pred_rnn_layers
    classes = size.vocab_size + 1
    encoder = _Graph(rng)
    encoded, inputs, caches = _nemo_encoder(encoder, size)
    encoder.op("Transpose", encoded, perm=[0, 2, 1], output="outputs")
    encoder.op("Div", "length", encoder.ints(size.subsampling_factor), output="encoded_lengths")
    encoder.save(
        directory / f"encoder{suffix}",
        inputs,
        [("outputs", FLOAT, ("N", d, "T_out")), ("encoded_lengths", INT64, ("N",)), *caches],
        size.metadata(),
    )
    decoder = _Graph(rng)
    # The predictor's output is a logit offset per token: the last token emitted is held
    # back (a trained predictor rarely repeats a piece at once), plus what the states add.
    targets = decoder.op("Cast", "targets", to=INT64)
    penalties = np.eye(classes, dtype=np.float32) * -REPEAT_PENALTY
    penalties[-1, -1] = 0.0  # the blank starts every stream: nothing to hold back
    held_back = decoder.const(penalties, "held_back")
    offset = decoder.op("Gather", held_back, targets)  # (N, 1, classes)
    memory = decoder.op("ReduceMean", "states.1", axes=[0], keepdims=0)  # (N, h)
    recalled = decoder.op("MatMul", memory, decoder.weight(hidden, classes))
    offset = decoder.op("Add", offset, decoder.op("Unsqueeze", recalled, decoder.ints(1)))
    decoder.op("Transpose", offset, perm=[0, 2, 1], output="outputs")  # (N, classes, 1)
    decoder.op("Identity", "target_length", output="prednet_lengths")
    embedding = decoder.const(rng.standard_normal((classes, hidden), dtype=np.float32), "embedding")
    step = decoder.op("Squeeze", decoder.op("Gather", embedding, targets), decoder.ints(1))
    for name, out in (("states.1", "next_states.1"), ("states.2", "next_states.2")):
        halved = decoder.op("Mul", name, decoder.scalar(0.5))
        decoder.op("Tanh", decoder.op("Add", halved, step), output=out)
    state_shape: Shape = (layers, "N", hidden)
    decoder.save(
        directory / f"decoder{suffix}",
        [
            ("targets", INT32, ("N", 1)),
            ("target_length", INT32, ("N",)),
            ("states.1", FLOAT, state_shape),
            ("states.2", FLOAT, state_shape),
        ],
        [
            ("outputs", FLOAT, ("N", classes, 1)),
            ("prednet_lengths", INT32, ("N",)),
            ("next_states.1", FLOAT, state_shape),
            ("next_states.2", FLOAT, state_shape),
        ],
        _author({}),
    )
    joiner = _Graph(rng)
    acoustic = joiner.op("Tanh", joiner.op("Transpose", "encoder_outputs", perm=[0, 2, 1]))
    logits = joiner.op("MatMul", acoustic, joiner.scores(d, classes, classes - 1))  # (N, 1, C)
    bias = _bias(classes, blank=classes - 1, blank_bias=size.blank_bias, never=(0,))
    logits = joiner.op("Add", logits, joiner.const(bias, "bias"))
    logits = joiner.op("Add", logits, joiner.op("Transpose", "decoder_outputs", perm=[0, 2, 1]))
    joiner.op("Unsqueeze", logits, joiner.ints(1), output="outputs")  # (N, 1, 1, classes)
    joiner.save(
        directory / f"joiner{suffix}",
        [("encoder_outputs", FLOAT, ("N", d, 1)), ("decoder_outputs", FLOAT, ("N", classes, 1))],
        [("outputs", FLOAT, ("N", 1, 1, classes))],
        _author({}),
    )
    _write_tokens(directory / "tokens.txt", _nemo_tokens(size))


def write_nemotron_35(directory: Path, seed: int = 0, int8: bool = False) -> None:
    """Nemotron 3.5's contract: the NeMo transducer with ``prompt_index`` and its languages."""
    write_nemo_transducer(directory, seed, int8, Nemo(blank_bias=5.0, prompts=NEMOTRON_35_PROMPTS))


BUILDERS: dict[Family, Callable[..., None]] = {
    "zipformer": write_zipformer,
    "zipformer2": write_zipformer2,
    "lstm": write_lstm,
    "conformer": write_conformer,
    "ebranchformer": write_ebranchformer,
    "nemo_transducer": write_nemo_transducer,
    "nemo_ctc": write_nemo_ctc,
    "zipformer2_ctc": write_zipformer2_ctc,
}
SIZES: dict[str, Callable[[Path, int, bool], None]] = {
    "70m": lambda directory, seed, int8: write_zipformer(directory, seed, int8, ZIPFORMER_70M),
    "nemotron-3.5": write_nemotron_35,
}


def quantize_release(directory: Path) -> list[Path]:
    """Beside each float file, its ``.int8.onnx`` (dynamic 8-bit weights, metadata kept), as
    sherpa-onnx's export scripts release them (the speed users get from int8 releases)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    written = []
    for path in sorted(directory.glob("*.onnx")):
        if path.name.endswith(".int8.onnx"):
            continue
        target = path.with_name(path.name.removesuffix(".onnx") + ".int8.onnx")
        quantize_dynamic(model_input=path, model_output=target, weight_type=QuantType.QUInt8)
        written.append(target)
    return written


def make_random_sherpa(
    directory: Path, family: Family, seed: int = 0, int8: bool = False
) -> SherpaDir:
    """Write ``family``'s tiny random model into ``directory`` (created) and read it back."""
    directory.mkdir(parents=True, exist_ok=True)
    BUILDERS[family](directory, seed=seed, int8=int8)
    return read_sherpa_dir(directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write")
    parser.add_argument("--family", choices=sorted(BUILDERS), default="zipformer")
    parser.add_argument(
        "--size",
        choices=["tiny", *SIZES],
        default="tiny",
        help="tiny (tests), 70m (the 70 M zipformer, bench.engines), nemotron-3.5",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--int8", action="store_true", help="name the files *.int8.onnx")
    parser.add_argument(
        "--quantize", action="store_true", help="also write 8-bit copies (*.int8.onnx)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.size == "tiny":
        BUILDERS[args.family](args.out, seed=args.seed, int8=args.int8)
    else:
        SIZES[args.size](args.out, args.seed, args.int8)
    if args.quantize:
        quantize_release(args.out)
    model = read_sherpa_dir(args.out)
    print(f"wrote {args.out} ({model.family}: {', '.join(p.name for p in model.onnx_files)})")


if __name__ == "__main__":
    main()
