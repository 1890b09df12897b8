"""The ``captions-tui/wav2vec2-ctc`` model directory: a wav2vec2 acoustic model with CTC labels.

Like the Emformer directory it is data, never code: ``config.json`` (validated
field by field), ``model.pt`` (a state_dict, ``weights_only``), and for the
lexicon beam decoder optionally ``lexicon.txt`` with ``lm.arpa`` or ``lm.bin``.

Two front ends share the wav2vec2 transformer encoder: ``waveform`` is
wav2vec2's own convolutional feature extractor (the pretrained models);
``log-mel`` is a log-mel spectrogram and one strided convolution, which trains
in a fraction of the time on a CPU (the project's tiny fixture). Both emit a
frame every ``frame_samples`` samples, the first frame starting at sample 0.

Importable without torch (the registry and the catalog read it for every model): the
model it describes is built, and its weights read, in ``model.py``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui_captions.asr.directory import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    config_object,
    read_json,
    save_weights,
)
from tui_captions.asr.engine import StreamFormat
from tui_captions.errors import ModelError

if TYPE_CHECKING:
    import torch

FORMAT = "captions-tui/wav2vec2-ctc"
VERSION = 1
LEXICON_FILE = "lexicon.txt"
LM_FILES = ("lm.bin", "lm.arpa")

FrontEndKind = Literal["waveform", "log-mel"]
DecoderKind = Literal["greedy", "beam"]
DECODER_KINDS: tuple[DecoderKind, ...] = ("greedy", "beam")
# The conv layers of wav2vec2_model when model_kwargs leave them out (wav2vec2 base).
_DEFAULT_CONV = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


@dataclass(frozen=True)
class LogMel:
    """The ``log-mel`` front end: mel frames every ``hop_length``, then a conv of ``stride``."""

    n_fft: int = 400
    hop_length: int = 160
    n_mels: int = 80
    stride: int = 2


@dataclass(frozen=True)
class BeamSettings:
    """The lexicon + KenLM beam search (torchaudio's ctc_decoder); torchaudio's tutorial values."""

    beam_size: int = 500
    lm_weight: float = 3.23
    word_score: float = -0.26


@dataclass(frozen=True)
class Wav2Vec2Config:
    """Architecture, labels and sliding windows of a wav2vec2 CTC model directory."""

    model_kwargs: dict[str, Any]
    labels: tuple[str, ...]
    blank: int
    word_separator: str | None
    sample_rate: int
    window_seconds: float
    hop_seconds: float
    margin_seconds: float
    log_mel: LogMel | None = None
    decoder: DecoderKind = "greedy"
    beam: BeamSettings = BeamSettings()

    @property
    def front_end(self) -> FrontEndKind:
        return "waveform" if self.log_mel is None else "log-mel"

    @property
    def conv_layers(self) -> list[tuple[int, int, int]]:
        """The feature extractor's (channels, kernel, stride) per layer."""
        return self.model_kwargs.get("extractor_conv_layer_config") or _DEFAULT_CONV

    @property
    def frame_samples(self) -> int:
        """Samples between consecutive output frames (320 for wav2vec2: 20 ms at 16 kHz)."""
        if self.log_mel is not None:
            return self.log_mel.hop_length * self.log_mel.stride
        return math.prod(int(layer[2]) for layer in self.conv_layers)

    @property
    def window_samples(self) -> int:
        return round(self.window_seconds * self.sample_rate)

    @property
    def hop_samples(self) -> int:
        return round(self.hop_seconds * self.sample_rate)

    @property
    def margin_frames(self) -> int:
        return round(self.margin_seconds * self.sample_rate / self.frame_samples)

    @property
    def stream_format(self) -> StreamFormat:
        """A chunk is one hop: every chunk slides the window and decodes it once."""
        return StreamFormat(self.sample_rate, self.hop_samples)

    def to_json(self) -> dict[str, Any]:
        blob: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "model_kwargs": self.model_kwargs,
            "front_end": self.front_end,
            "labels": list(self.labels),
            "blank": self.blank,
            "word_separator": self.word_separator,
            "sample_rate": self.sample_rate,
            "window_seconds": self.window_seconds,
            "hop_seconds": self.hop_seconds,
            "margin_seconds": self.margin_seconds,
            "decoder": {"kind": self.decoder, **asdict(self.beam)},
        }
        if self.log_mel is not None:
            blob["log_mel"] = asdict(self.log_mel)
        return blob

    @classmethod
    def from_json(cls, blob: object, where: Path) -> Wav2Vec2Config:
        """Validate a parsed ``config.json``; every problem names the file."""

        def bad(problem: str) -> ModelError:
            return ModelError(f"{where}: {problem}")

        blob = config_object(blob, where, FORMAT, VERSION)
        kwargs = blob.get("model_kwargs")
        if not isinstance(kwargs, dict):
            raise bad("'model_kwargs' must be an object of wav2vec2_model arguments")
        labels = blob.get("labels")
        if (
            not isinstance(labels, list)
            or len(labels) < 2
            or not all(isinstance(label, str) for label in labels)
        ):
            raise bad("'labels' must be a list of at least two strings")
        if kwargs.get("aux_num_out") != len(labels):
            raise bad(
                f"model_kwargs.aux_num_out is {kwargs.get('aux_num_out')!r} "
                f"but there are {len(labels)} labels"
            )
        blank = blob.get("blank")
        if not isinstance(blank, int) or isinstance(blank, bool) or not 0 <= blank < len(labels):
            raise bad(f"'blank' must be a label index below {len(labels)}, got {blank!r}")
        separator = blob.get("word_separator")
        if separator is not None and separator not in labels:
            raise bad(f"'word_separator' {separator!r} is not one of the labels")
        numbers: dict[str, float] = {}
        for name in ("sample_rate", "window_seconds", "hop_seconds", "margin_seconds"):
            value = blob.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise bad(f"'{name}' must be a number >= 0, got {value!r}")
            numbers[name] = value
        front_end = blob.get("front_end")
        log_mel = None
        if front_end == "log-mel":
            log_mel = _log_mel(blob.get("log_mel"), bad)
        elif front_end != "waveform":
            raise bad(f"'front_end' must be 'waveform' or 'log-mel', got {front_end!r}")
        decoder, beam = _decoder(blob.get("decoder", {}), bad)
        config = cls(
            model_kwargs=dict(kwargs),
            labels=tuple(labels),
            blank=blank,
            word_separator=separator,
            sample_rate=int(numbers["sample_rate"]),
            window_seconds=float(numbers["window_seconds"]),
            hop_seconds=float(numbers["hop_seconds"]),
            margin_seconds=float(numbers["margin_seconds"]),
            log_mel=log_mel,
            decoder=decoder,
            beam=beam,
        )
        _check_windows(config, bad)
        return config


def _log_mel(blob: object, bad: Any) -> LogMel:
    if not isinstance(blob, dict):
        raise bad("'log_mel' must be an object (n_fft, hop_length, n_mels, stride)")
    values = {}
    for name in ("n_fft", "hop_length", "n_mels", "stride"):
        value = blob.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise bad(f"log_mel.{name} must be a positive integer, got {value!r}")
        values[name] = value
    return LogMel(**values)


def _decoder(blob: object, bad: Any) -> tuple[DecoderKind, BeamSettings]:
    if not isinstance(blob, dict):
        raise bad("'decoder' must be an object (kind, beam_size, lm_weight, word_score)")
    kind = blob.get("kind", "greedy")
    if kind not in DECODER_KINDS:
        raise bad(f"decoder.kind must be 'greedy' or 'beam', got {kind!r}")
    defaults = BeamSettings()
    beam_size = blob.get("beam_size", defaults.beam_size)
    if not isinstance(beam_size, int) or isinstance(beam_size, bool) or beam_size < 1:
        raise bad(f"decoder.beam_size must be a positive integer, got {beam_size!r}")
    weights = {}
    for name in ("lm_weight", "word_score"):
        value = blob.get(name, getattr(defaults, name))
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise bad(f"decoder.{name} must be a number, got {value!r}")
        weights[name] = float(value)
    return kind, BeamSettings(beam_size, **weights)


def _check_windows(config: Wav2Vec2Config, bad: Any) -> None:
    """Windows slide by whole frames, and every frame is final in exactly one window."""
    frame = config.frame_samples
    if config.sample_rate < 1:
        raise bad("'sample_rate' must be at least 1")
    for name, samples in (("window", config.window_samples), ("hop", config.hop_samples)):
        if samples < frame or samples % frame:
            raise bad(
                f"'{name}_seconds' must be a positive multiple of a frame "
                f"({frame / config.sample_rate:g} s)"
            )
    margin = config.margin_frames * frame
    if config.hop_samples + margin > config.window_samples:
        raise bad(
            "hop_seconds + margin_seconds must not exceed window_seconds: "
            "each frame has to pass the margin inside one window"
        )


def read_wav2vec2_config(directory: Path) -> Wav2Vec2Config:
    path = directory / CONFIG_FILE
    return Wav2Vec2Config.from_json(read_json(path), path)


def write_wav2vec2_dir(
    directory: Path,
    config: Wav2Vec2Config,
    state_dict: dict[str, torch.Tensor],
    *,
    half: bool = False,
) -> None:
    """Write ``config.json`` and ``model.pt`` (``half`` stores float weights as fp16)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG_FILE).write_text(json.dumps(config.to_json(), indent=2) + "\n")
    save_weights(directory / WEIGHTS_FILE, state_dict, half=half)
