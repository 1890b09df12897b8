"""sherpa-onnx's front end in torch, for training and for checking sherpa-onnx against it."""

from __future__ import annotations

import torch
import torchaudio

from tools.tiny_model.data import SAMPLE_RATE


def fbank(wave: torch.Tensor) -> torch.Tensor:
    """(samples,) in [-1, 1] -> (frames, 80): sherpa-onnx's front end (``csrc/features.h``)."""
    features: torch.Tensor = torchaudio.compliance.kaldi.fbank(
        wave[None],
        num_mel_bins=80,
        frame_length=25.0,
        frame_shift=10.0,
        dither=0.0,
        low_freq=20.0,
        high_freq=-400.0,
        snip_edges=False,
        sample_frequency=SAMPLE_RATE,
    )
    return features
