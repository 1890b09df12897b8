"""Write the model directory sherpa-onnx reads: encoder/decoder/joiner.onnx, tokens.txt, bpe.model.

The contract is sherpa-onnx's ``lstm`` transducer
(``csrc/online-lstm-transducer-model.cc``): the encoder takes ``x`` (N, T, 80)
and the two state tensors and returns ``encoder_out`` and the new states; its
metadata gives ``T`` (frames fed) and ``decode_chunk_len`` (frames advanced).
The decoder maps the last ``context_size`` tokens (``-1`` before the first) to
one vector; the joiner maps one encoder frame and one decoder vector to
logits. sherpa's blank is id 0, so the tokens are the teacher's pieces shifted
by one with ``<blk>`` first, and the joiner's rows are permuted to match.
Weights are stored as fp16 and cast back to fp32 inside the graph: half the
size (the issue's 10 MB) for the same arithmetic.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from torch import nn
from torchaudio.models import RNNT

from tools.tiny_sherpa.model import (
    CHUNK_FRAMES,
    CONTEXT_SIZE,
    D_MODEL,
    LAYERS,
    N_MELS,
    WINDOW_FRAMES,
    StreamingEncoder,
    windowed_predictor,
)
from tui_captions.asr.emformer.model_dir import ModelFiles

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "tiny-sherpa"
OPSET = 17
# The decoder unrolls its LSTM over the context: quantized, it kept fp32 copies of its gate
# weights beside the int8 ones (2.8 MB against 1.4 MB fp16-stored), and it runs once per
# token, not per frame: it stays as it is.
INT8_ROLES = ("encoder", "joiner")
# Initializers this small stay fp32 (biases, norms): no size to save.
HALF_MIN_ELEMENTS = 1024


class _DecoderGraph(nn.Module):
    def __init__(self, rnnt: RNNT, blank: int) -> None:
        super().__init__()
        self.rnnt = rnnt
        self.blank = blank

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        teacher_ids = torch.where(y == 0, torch.full_like(y, self.blank), y - 1)
        return windowed_predictor(self.rnnt, teacher_ids.clamp_min(0), y >= 0)


class _JoinerGraph(nn.Module):
    order: torch.Tensor

    def __init__(self, rnnt: RNNT, blank: int) -> None:
        super().__init__()
        self.rnnt = rnnt
        vocabulary = rnnt.joiner.linear.out_features
        self.register_buffer("order", torch.tensor([blank, *range(blank)]))
        assert blank == vocabulary - 1

    def forward(self, encoder_out: torch.Tensor, decoder_out: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.rnnt.joiner.linear(torch.relu(encoder_out + decoder_out))
        return logits.index_select(-1, self.order)


def _add_metadata(path: Path, metadata: dict[str, str]) -> None:
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _store_half(source: Path, target: Path) -> None:
    """Large fp32 initializers -> fp16 plus a Cast node back to fp32 at load."""
    model = onnx.load(str(source))
    graph = model.graph
    casts = []
    for initializer in graph.initializer:
        if (
            initializer.data_type == onnx.TensorProto.FLOAT
            and int(np.prod(initializer.dims)) >= HALF_MIN_ELEMENTS
        ):
            name = initializer.name
            half = numpy_helper.from_array(
                numpy_helper.to_array(initializer).astype(np.float16), name + "_fp16"
            )
            initializer.CopyFrom(half)
            casts.append(
                onnx.helper.make_node("Cast", [name + "_fp16"], [name], to=onnx.TensorProto.FLOAT)
            )
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))


def _export(
    module: nn.Module,
    args: tuple[torch.Tensor, ...],
    path: Path,
    inputs: list[str],
    outputs: list[str],
    batch_axes: dict[str, int],
) -> None:
    torch.onnx.export(
        module,
        args,
        str(path),
        input_names=inputs,
        output_names=outputs,
        dynamic_axes={name: {axis: "N"} for name, axis in batch_axes.items()},
        opset_version=OPSET,
        dynamo=False,
    )


def _export_fp32(directory: Path, encoder: StreamingEncoder, teacher: ModelFiles) -> None:
    """encoder/decoder/joiner.onnx with fp32 weights and sherpa-onnx's metadata."""
    rnnt, blank = teacher.model, teacher.config.blank
    was_training = encoder.training
    encoder.eval()
    rnnt.eval()
    state = torch.zeros(LAYERS, 1, D_MODEL)
    with torch.no_grad():
        _export(
            encoder,
            (torch.zeros(1, WINDOW_FRAMES, N_MELS), state, state),
            directory / "encoder.onnx",
            ["x", "state0", "state1"],
            ["encoder_out", "new_state0", "new_state1"],
            {"x": 0, "state0": 1, "state1": 1, "encoder_out": 0, "new_state0": 1, "new_state1": 1},
        )
        _export(
            _DecoderGraph(rnnt, blank),
            (torch.zeros(1, CONTEXT_SIZE, dtype=torch.long),),
            directory / "decoder.onnx",
            ["y"],
            ["decoder_out"],
            {"y": 0, "decoder_out": 0},
        )
        _export(
            _JoinerGraph(rnnt, blank),
            (torch.zeros(1, D_MODEL), torch.zeros(1, D_MODEL)),
            directory / "joiner.onnx",
            ["encoder_out", "decoder_out"],
            ["logit"],
            {"encoder_out": 0, "decoder_out": 0, "logit": 0},
        )
    encoder.train(was_training)
    for role, metadata in _metadata(blank).items():
        _add_metadata(directory / f"{role}.onnx", metadata)


def _metadata(blank: int) -> dict[str, dict[str, str]]:
    """What ``online-lstm-transducer-model.cc`` reads (and the joiner's dimension)."""
    return {
        "encoder": {
            "model_type": "lstm",
            "num_encoder_layers": str(LAYERS),
            "T": str(WINDOW_FRAMES),
            "decode_chunk_len": str(CHUNK_FRAMES),
            "rnn_hidden_size": str(D_MODEL),
            "d_model": str(D_MODEL),
        },
        "decoder": {"vocab_size": str(blank + 1), "context_size": str(CONTEXT_SIZE)},
        "joiner": {"joiner_dim": str(D_MODEL)},
    }


def export_model_dir(
    directory: Path, encoder: StreamingEncoder, teacher: ModelFiles, int8: bool = False
) -> None:
    """The released directory: the three ONNX files (fp16-stored; ``int8`` adds
    ``encoder.int8.onnx`` and ``joiner.int8.onnx``, dynamically quantized, which
    captions-tui prefers), tokens.txt and the BPE model for hotwords."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        fp32 = Path(work)
        _export_fp32(fp32, encoder, teacher)
        for role, metadata in _metadata(teacher.config.blank).items():
            _store_half(fp32 / f"{role}.onnx", directory / f"{role}.onnx")
            if int8 and role in INT8_ROLES:
                quantized = directory / f"{role}.int8.onnx"
                quantize_dynamic(fp32 / f"{role}.onnx", quantized, weight_type=QuantType.QInt8)
                _add_metadata(quantized, metadata)
    pieces = teacher.tokenizer
    blank = teacher.config.blank
    lines = ["<blk> 0"] + [f"{pieces.id_to_piece(i)} {i + 1}" for i in range(blank)]
    (directory / "tokens.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copyfile(teacher.directory / "tokenizer.model", directory / "bpe.model")
