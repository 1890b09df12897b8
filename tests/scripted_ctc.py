"""A scripted acoustic model for the CTC stream's logic: audio spells its own labels.

Sample ``i * FRAME`` of the waveform holds ``label / SCALE``, and the model's
frame ``i`` is that label's one-hot logits: any label sequence can be "spoken"
exactly, and since the model has no context, the stream's windows must
reproduce the offline decode of the whole signal frame for frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from tui_captions.asr.engine import RunOptions
from tui_captions.asr.wav2vec2.engine import Wav2Vec2Engine
from tui_captions.asr.wav2vec2.model_dir import Wav2Vec2Config

FRAME = 320
SCALE = 64.0
LABELS = ("-", "|", "t", "h", "e", "c", "a", "o", "s", "n")


class ScriptedModel(torch.nn.Module):
    """``confusions`` give a label a runner-up: {"o": ("a", 0.5)} puts "a" 0.5 below "o"."""

    def __init__(self, confusions: dict[str, tuple[str, float]] | None = None) -> None:
        super().__init__()
        self.confusions = {
            LABELS.index(k): (LABELS.index(v), gap) for k, (v, gap) in (confusions or {}).items()
        }

    def forward(
        self, waveforms: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        ids = (waveforms[:, ::FRAME] * SCALE).round().long().clamp(0, len(LABELS) - 1)
        logits = torch.nn.functional.one_hot(ids, len(LABELS)).float() * 8.0
        for label, (runner_up, gap) in self.confusions.items():
            logits[..., runner_up] += (ids == label).float() * (8.0 - gap)
        return logits, None


def scripted_engine(
    directory: Path,
    confusions: dict[str, tuple[str, float]] | None = None,
    window: float = 2.0,
    hop: float = 0.4,
    margin: float = 0.2,
    decoder: str = "greedy",
) -> Wav2Vec2Engine:
    config = Wav2Vec2Config(
        model_kwargs={"extractor_conv_layer_config": [(8, FRAME, FRAME)], "aux_num_out": 10},
        labels=LABELS,
        blank=0,
        word_separator="|",
        sample_rate=16000,
        window_seconds=window,
        hop_seconds=hop,
        margin_seconds=margin,
        decoder="beam" if decoder == "beam" else "greedy",
    )
    return Wav2Vec2Engine(
        directory, config, ScriptedModel(confusions), RunOptions(1, "none", "cpu")
    )


def speak(frames: Sequence[str]) -> np.ndarray:
    """One label per frame ("-" blank, "|" word separator) -> samples the model reads back."""
    samples = np.zeros(len(frames) * FRAME, dtype=np.float32)
    samples[::FRAME] = [LABELS.index(label) / SCALE for label in frames]
    return samples


def spell(text: str, frames_per_letter: int = 2, pause: int = 1) -> list[str]:
    """Frames that say ``text``: each letter held, blanks between, "|" between words."""
    frames: list[str] = []
    for word in text.split():
        for letter in word:
            frames += [letter] * frames_per_letter + ["-"] * pause
        frames.append("|")
    return frames
