"""Log-mel features exactly as torchaudio's EMFORMER_RNNT_BASE_LIBRISPEECH computes them.

Mel power spectrogram, scaled by the int16 full-scale gain, compressed by a
piecewise-linear log, then normalised with the model's global statistics.
Training (tools/tiny_model) and inference share this one definition.
"""

from __future__ import annotations

import math

import torch
import torchaudio

from tui_captions.asr.emformer.model_dir import GlobalStats, ModelConfig

# 20*log10(32767) dB twice over: power of an int16 full-scale signal.
_DECIBEL = 2 * 20 * math.log10(torch.iinfo(torch.int16).max)
GAIN = pow(10, 0.05 * _DECIBEL)


def piecewise_linear_log(x: torch.Tensor) -> torch.Tensor:
    """torchaudio's compression, quirk included: its two in-place steps run in sequence.

    Values above e are logged; then everything at or below e, which includes
    logs of values up to e**e, is divided by e. The published model was
    trained on exactly this, so it is kept.
    """
    logged = torch.where(x > math.e, torch.log(x.clamp_min(math.e)), x)
    return torch.where(logged <= math.e, logged / math.e, logged)


class FeatureExtractor(torch.nn.Module):
    """Waveform (samples,) or (batch, samples) -> features (..., frames, n_mels)."""

    mean: torch.Tensor
    invstddev: torch.Tensor

    def __init__(self, config: ModelConfig, stats: GlobalStats) -> None:
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=config.sample_rate,
            n_fft=config.n_fft,
            n_mels=config.n_mels,
            hop_length=config.hop_length,
        )
        self.register_buffer("mean", stats.mean.clone())
        self.register_buffer("invstddev", stats.invstddev.clone())

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        power = self.mel(waveform).transpose(-1, -2)
        return (piecewise_linear_log(power * GAIN) - self.mean) * self.invstddev
