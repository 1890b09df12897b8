"""Seed 001's audio-visual model, built here: random for parity and speed, or small to train.

The tutorial's device model cannot be downloaded on these machines. Its
interface (``../shared/AV-FACTS.md``): a TorchScript module that takes audio
``(1, frames * 640, 1)`` at 19.2 kHz and face crops ``(1, frames, 1, 44, 44)``
and returns features ``(1, frames, 512)``; its ``model`` attribute is a
torchaudio RNN-T (Emformer, segments of 32 frames plus 4 of right context)
whose search reads them. Submodules: a 1-D ResNet on the waveform (one vector
per 640 samples), a linear video front end, a two-layer fusion MLP, the
RNN-T. :func:`build` makes one of any size; :data:`DEVICE` is the published
model's (24.7 M parameters); the tiny trained model uses smaller numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sentencepiece as spm
import torch
from torch import nn
from torchaudio.models import emformer_rnnt_model

from tui_captions.asr.catalog import BASE_KWARGS

SAMPLES_PER_FRAME = 640
CROP = 44
MODEL_FILE = "device_avsr_model.pt"
TOKENIZER_FILE = "spm_unigram_1023.model"


@dataclass(frozen=True)
class Size:
    channels: tuple[int, int, int, int] = (64, 128, 256, 512)
    blocks: tuple[int, int, int, int] = (2, 2, 2, 2)
    fusion: int = 1024
    features: int = 512
    rnnt: dict[str, Any] = field(default_factory=dict)


# The device model's RNN-T: torchaudio's Emformer base, with the seed's sizes (AV-FACTS).
DEVICE_RNNT = {
    **BASE_KWARGS,
    "input_dim": 512,
    "num_symbols": 1024,
    "segment_length": 32,
    "time_reduction_input_dim": 256,
    "time_reduction_stride": 1,
    "transformer_num_heads": 4,
    "transformer_ffn_dim": 1024,
    "transformer_num_layers": 12,
}
DEVICE = Size(rnnt=DEVICE_RNNT)


def scaled(rnnt: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**rnnt, **changes}


# For tests of plumbing and parity: the same interface, a few hundred thousand parameters.
MICRO = Size(
    channels=(16, 32, 64, 128),
    blocks=(1, 1, 1, 1),
    fusion=128,
    features=96,
    rnnt=scaled(
        DEVICE_RNNT,
        input_dim=96,
        encoding_dim=128,
        time_reduction_input_dim=64,
        transformer_num_heads=2,
        transformer_ffn_dim=128,
        transformer_num_layers=2,
        symbol_embedding_dim=64,
        num_lstm_layers=1,
    ),
)


class _Block(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(outputs)
        self.conv2 = nn.Conv1d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(outputs)
        self.act = nn.SiLU()
        self.downsample = (
            nn.Sequential(
                nn.Conv1d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm1d(outputs)
            )
            if stride != 1 or inputs != outputs
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        return self.act(self.bn2(self.conv2(out)) + self.downsample(x))


class ResNet1D(nn.Module):
    """Waveform ``(B, 1, S)`` -> ``(B, C, S / 640)``: stride 4, then 1, 2, 2, 2, pooled by 20."""

    def __init__(self, channels: tuple[int, ...], blocks: tuple[int, ...]) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(1, channels[0], 80, 4, 38, bias=False), nn.BatchNorm1d(channels[0]), nn.SiLU()
        )
        layers: list[nn.Module] = []
        inputs = channels[0]
        for index, (width, count) in enumerate(zip(channels, blocks, strict=True)):
            for block in range(count):
                layers.append(_Block(inputs, width, 2 if index and not block else 1))
                inputs = width
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AvgPool1d(20)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.layers(self.stem(x)))


class AvModel(nn.Module):
    def __init__(self, size: Size) -> None:
        super().__init__()
        self.audio_frontend = ResNet1D(size.channels, size.blocks)
        self.video_frontend = nn.Linear(CROP * CROP, size.channels[-1])
        self.fusion = nn.Sequential(
            nn.LayerNorm(2 * size.channels[-1]),
            nn.Linear(2 * size.channels[-1], size.fusion),
            nn.SiLU(),
            nn.Dropout(0.1),
            nn.Linear(size.fusion, size.features),
            nn.Dropout(0.1),
        )
        self.model = emformer_rnnt_model(**size.rnnt)

    def forward(self, audio: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
        """``audio`` (B, frames * 640, 1), ``video`` (B, frames, 1, 44, 44) -> (B, frames, D)."""
        heard = self.audio_frontend(audio.transpose(1, 2)).transpose(1, 2)
        seen = self.video_frontend(video.flatten(2))
        return self.fusion(torch.cat([seen, heard], dim=-1))


def build(size: Size, symbols: int, seed: int = 0, blank_bias: float = 0.0) -> AvModel:
    """A randomly initialised model for a tokenizer of ``symbols - 1`` pieces (the blank is
    the last symbol); ``blank_bias`` leans the joiner to blank (a trained model says
    nothing most frames: the search's cost is then a real model's)."""
    torch.manual_seed(seed)
    model = AvModel(dataclasses.replace(size, rnnt=scaled(size.rnnt, num_symbols=symbols)))
    blank = symbols - 1
    with torch.no_grad():
        model.model.joiner.linear.bias[blank] += blank_bias
    return model.eval()


def write_model_dir(directory: Path, model: AvModel, tokenizer: bytes) -> Path:
    """The two files the tutorial downloads, under its names: the scripted model and the
    sentencepiece model."""
    directory.mkdir(parents=True, exist_ok=True)
    torch.jit.script(model.eval()).save(str(directory / MODEL_FILE))
    (directory / TOKENIZER_FILE).write_bytes(tokenizer)
    return directory


def train_tokenizer(sentences: list[str], pieces: int) -> bytes:
    """A unigram sentencepiece model of exactly ``pieces`` pieces (the device model's has
    1023): text with fewer word pieces in it is padded with unused symbols."""
    import io

    fillers = 0
    for _ in range(5):
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences),
            model_writer=model,
            vocab_size=pieces,
            model_type="unigram",
            character_coverage=1.0,
            hard_vocab_limit=False,
            user_defined_symbols=[f"<unused{n}>" for n in range(fillers)],
            minloglevel=2,
        )
        size = spm.SentencePieceProcessor(model_proto=model.getvalue()).get_piece_size()
        if size == pieces:
            return model.getvalue()
        fillers = max(0, fillers + pieces - size)
    raise ValueError(f"could not make a vocabulary of exactly {pieces} pieces")
