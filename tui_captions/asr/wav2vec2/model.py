"""The wav2vec2 CTC model a ``captions-tui/wav2vec2-ctc`` directory describes: built from its
config (with the ``log-mel`` front end where it says so) and its weights read (torch)."""

from __future__ import annotations

from pathlib import Path

import torch
from torchaudio.models import Wav2Vec2Model, wav2vec2_model
from torchaudio.transforms import MelSpectrogram

from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE, load_weights
from tui_captions.asr.wav2vec2.model_dir import LogMel, Wav2Vec2Config
from tui_captions.errors import ModelError


def build_model(config: Wav2Vec2Config) -> Wav2Vec2Model:
    """A randomly initialised model of this architecture and front end."""
    try:
        model = wav2vec2_model(**config.model_kwargs)
    except (TypeError, ValueError, AssertionError) as exc:
        raise ModelError(f"model_kwargs in {CONFIG_FILE} do not describe a model: {exc}") from exc
    if config.log_mel is None:
        return model
    front = LogMelFrontEnd(config.sample_rate, config.log_mel, int(config.conv_layers[-1][0]))
    return Wav2Vec2Model(front, model.encoder, model.aux)


def read_wav2vec2_weights(directory: Path, config: Wav2Vec2Config) -> Wav2Vec2Model:
    return load_weights(directory / WEIGHTS_FILE, build_model(config))


class LogMelFrontEnd(torch.nn.Module):
    """Waveform -> log-mel -> strided conv, in place of wav2vec2's conv feature extractor.

    Same contract as torchaudio's: ``(batch, samples)`` and lengths in,
    ``(batch, frames, channels)`` and frame counts out; frame ``i`` starts at
    sample ``i * hop_length * stride``.
    """

    def __init__(self, sample_rate: int, settings: LogMel, channels: int) -> None:
        super().__init__()
        self.settings = settings
        self.mel = MelSpectrogram(
            sample_rate,
            n_fft=settings.n_fft,
            hop_length=settings.hop_length,
            n_mels=settings.n_mels,
            center=False,
        )
        self.kernel = settings.stride + 1  # each output frame overlaps its neighbours by one
        self.conv = torch.nn.Conv1d(
            settings.n_mels, channels, kernel_size=self.kernel, stride=settings.stride
        )
        self.activation = torch.nn.GELU()

    def forward(
        self, waveforms: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        mel = torch.log(self.mel(waveforms) + 1e-6)  # (batch, n_mels, mel frames)
        frames = self.activation(self.conv(mel)).transpose(1, 2)
        if lengths is None:
            return frames, None
        settings = self.settings
        mel_frames = torch.div(lengths - settings.n_fft, settings.hop_length, rounding_mode="floor")
        counts = torch.div(mel_frames + 1 - self.kernel, settings.stride, rounding_mode="floor") + 1
        return frames, counts.clamp(min=0, max=frames.shape[1])
