"""The streaming LSTM transducer in sherpa-onnx's ``lstm`` contract, and its teacher's parts.

Encoder: kaldi fbank (normalised inside the model) -> two valid convolutions
that only look ahead (4x time reduction, ``LOOKAHEAD_FRAMES`` of future) ->
residual LSTM layers -> a linear layer and layer norm (the teacher's output
space). Nothing looks back except the LSTM state, the one thing sherpa
carries between chunks, so decoding chunk by chunk gives exactly what one
pass over the whole utterance gives: training needs no chunking and where a
chunk starts cannot matter.

Decoder and joiner are the tiny Emformer's predictor and joiner. sherpa's
decoder is stateless (the last ``CONTEXT_SIZE`` tokens in, one vector out),
so the predictor's LSTM runs over that window from a zero state, skipping
sherpa's ``-1`` fillers: the first ``CONTEXT_SIZE - 1`` tokens of an utterance
see exactly the teacher's history.
"""

from __future__ import annotations

import torch
from torch import nn
from torchaudio.models import RNNT

N_MELS = 80
SUBSAMPLING = 4
# conv1 reads input frames 4j..4j+7, conv2 reduced frames j..j+3.
CONV1_KERNEL = 8
CONV2_KERNEL = 4
LOOKAHEAD_FRAMES = (CONV1_KERNEL - SUBSAMPLING) + SUBSAMPLING * (CONV2_KERNEL - 1)
CHUNK_FRAMES = 16  # decode_chunk_len: 160 ms, 4 encoder frames a chunk
WINDOW_FRAMES = CHUNK_FRAMES + LOOKAHEAD_FRAMES  # sherpa's T
CONTEXT_SIZE = 6
D_MODEL = 256
LAYERS = 3
CONV1_CHANNELS = 192


class StreamingEncoder(nn.Module):
    """fbank (N, frames, 80) -> encodings (N, (frames - LOOKAHEAD_FRAMES) // 4, 256)."""

    mean: torch.Tensor
    invstd: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(N_MELS))
        self.register_buffer("invstd", torch.ones(N_MELS))
        self.conv1 = nn.Conv1d(N_MELS, CONV1_CHANNELS, CONV1_KERNEL, stride=SUBSAMPLING)
        self.conv2 = nn.Conv1d(CONV1_CHANNELS, D_MODEL, CONV2_KERNEL)
        self.lstms = nn.ModuleList(nn.LSTM(D_MODEL, D_MODEL) for _ in range(LAYERS))
        self.output = nn.Linear(D_MODEL, D_MODEL)
        self.norm = nn.LayerNorm(D_MODEL)

    def forward(
        self, features: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``h``, ``c``: (LAYERS, N, 256) states in; the new states out after the encodings."""
        x = ((features - self.mean) * self.invstd).transpose(1, 2)
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        x = x.permute(2, 0, 1)  # (frames, N, 256)
        new_h, new_c = [], []
        for index, lstm in enumerate(self.lstms):
            y, (layer_h, layer_c) = lstm(x, (h[index : index + 1], c[index : index + 1]))
            x = x + y
            new_h.append(layer_h)
            new_c.append(layer_c)
        encodings = self.norm(self.output(x)).transpose(0, 1)
        return encodings, torch.cat(new_h), torch.cat(new_c)

    def initial_state(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros(LAYERS, batch, D_MODEL)
        return zeros, zeros.clone()


def output_frames(feature_frames: torch.Tensor) -> torch.Tensor:
    """Encoder frames for ``feature_frames`` input frames (valid convolutions)."""
    return torch.div(feature_frames - LOOKAHEAD_FRAMES, SUBSAMPLING, rounding_mode="floor")


def windowed_predictor(rnnt: RNNT, tokens: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The teacher's predictor over a token window from a zero state: (N, K) -> (N, 256).

    ``tokens`` are the teacher's ids; positions where ``valid`` is false are
    skipped (the state passes through), so a short history needs no filler.
    """
    predictor = rnnt.predictor
    embedded = predictor.input_layer_norm(predictor.embedding(tokens))
    states: list[list[torch.Tensor] | None] = [None] * len(predictor.lstm_layers)
    out = torch.zeros(tokens.shape[0], embedded.shape[-1])
    for step in range(tokens.shape[1]):
        keep = valid[:, step : step + 1]
        x = embedded[:, step][None]
        for index, lstm in enumerate(predictor.lstm_layers):
            before = states[index]
            y, after = lstm(x, before)
            if before is not None:
                after = [torch.where(keep, a, b) for a, b in zip(after, before, strict=True)]
            else:
                after = [torch.where(keep, a, torch.zeros_like(a)) for a in after]
            states[index] = after
            x = y
        out = torch.where(keep, x[0], out)
    predicted: torch.Tensor = predictor.output_layer_norm(predictor.linear(out))
    return predicted


def label_windows(labels: torch.Tensor, blank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, U) labels -> (B, U+1, K) windows of [blank, labels...] ending at each position."""
    batch, length = labels.shape
    history = torch.cat(
        [torch.full((batch, CONTEXT_SIZE - 1), -1), torch.full((batch, 1), blank), labels], dim=1
    )
    windows = history.unfold(1, CONTEXT_SIZE, 1)[:, : length + 1]
    valid = windows >= 0
    return windows.clamp_min(0), valid


def joiner_logits(rnnt: RNNT, encodings: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
    """The teacher's joiner: (B, T, 256) x (B, U+1, 256) -> (B, T, U+1, vocabulary)."""
    joint = torch.relu(encodings[:, :, None] + predicted[:, None])
    logits: torch.Tensor = rnnt.joiner.linear(joint)
    return logits
