"""The model directory format: what ``--model PATH`` loads.

A model directory is data, never code: ``config.json`` is validated field by
field and ``model.pt`` is loaded with ``weights_only=True``.

Importable without torch (the registry and the catalog read it for every model): the
functions that build the model or read its weights and statistics import it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sentencepiece as spm

from tui_captions.asr.directory import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    config_object,
    load_weights,
    read_json,
    save_weights,
)
from tui_captions.asr.engine import StreamFormat
from tui_captions.errors import ModelError

if TYPE_CHECKING:
    import torch
    from torchaudio.models import RNNT

FORMAT = "captions-tui/emformer-rnnt"
VERSION = 1
TOKENIZER_FILE = "tokenizer.model"
STATS_FILE = "global_stats.json"

_INT_FIELDS = (
    "sample_rate",
    "n_fft",
    "n_mels",
    "hop_length",
    "segment_length",
    "right_context_length",
)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and front-end of a streaming Emformer RNN-T."""

    model_kwargs: dict[str, Any]
    sample_rate: int
    n_fft: int
    n_mels: int
    hop_length: int
    segment_length: int
    right_context_length: int
    blank: int

    @property
    def chunk_samples(self) -> int:
        """Audio samples per streaming chunk (one Emformer segment)."""
        return self.segment_length * self.hop_length

    @property
    def context_samples(self) -> int:
        """Samples of look-ahead carried from one chunk into the next."""
        return self.right_context_length * self.hop_length

    @property
    def stream_format(self) -> StreamFormat:
        """The audio the engine seam says a stream of this model takes."""
        return StreamFormat(self.sample_rate, self.chunk_samples)

    @property
    def chunk_seconds(self) -> float:
        return self.chunk_samples / self.sample_rate

    @property
    def num_symbols(self) -> int:
        return int(self.model_kwargs["num_symbols"])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "model_kwargs": self.model_kwargs,
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "n_mels": self.n_mels,
            "hop_length": self.hop_length,
            "segment_length": self.segment_length,
            "right_context_length": self.right_context_length,
            "blank": self.blank,
        }

    @classmethod
    def from_json(cls, blob: object, where: Path) -> ModelConfig:
        """Validate a parsed ``config.json``; every problem names the file."""

        def bad(problem: str) -> ModelError:
            return ModelError(f"{where}: {problem}")

        blob = config_object(blob, where, FORMAT, VERSION)
        values: dict[str, int] = {}
        for name in (*_INT_FIELDS, "blank"):
            value = blob.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise bad(f"'{name}' must be an integer, got {value!r}")
            if value < (0 if name in ("blank", "right_context_length") else 1):
                raise bad(f"'{name}' is out of range: {value}")
            values[name] = value
        kwargs = blob.get("model_kwargs")
        if not isinstance(kwargs, dict):
            raise bad("'model_kwargs' must be an object of emformer_rnnt_model arguments")
        expected = {
            "input_dim": values["n_mels"],
            "segment_length": values["segment_length"],
            "right_context_length": values["right_context_length"],
        }
        for key, value in expected.items():
            if kwargs.get(key) != value:
                raise bad(f"model_kwargs.{key} is {kwargs.get(key)!r} but must be {value}")
        num_symbols = kwargs.get("num_symbols")
        if not isinstance(num_symbols, int) or num_symbols < 2:
            raise bad(f"model_kwargs.num_symbols must be an integer >= 2, got {num_symbols!r}")
        if values["blank"] >= num_symbols:
            raise bad(f"blank id {values['blank']} is not below num_symbols {num_symbols}")
        return cls(model_kwargs=dict(kwargs), **values)

    def build_model(self) -> RNNT:
        """A randomly initialised model of this architecture."""
        from torchaudio.models import emformer_rnnt_model

        try:
            return emformer_rnnt_model(**self.model_kwargs)
        except (TypeError, ValueError, AssertionError) as exc:
            raise ModelError(
                f"model_kwargs in {CONFIG_FILE} do not describe a model: {exc}"
            ) from exc


@dataclass(frozen=True)
class GlobalStats:
    """Per-mel-bin normalisation applied after the log compression."""

    mean: torch.Tensor
    invstddev: torch.Tensor

    def to_json(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "invstddev": self.invstddev.tolist()}


@dataclass(frozen=True)
class ModelFiles:
    """Everything a recognizer needs, loaded and cross-checked."""

    directory: Path
    config: ModelConfig
    model: RNNT
    tokenizer: spm.SentencePieceProcessor
    stats: GlobalStats
    # The beam search compiled for this model (see runtime.prepare_model); None
    # decodes through torchaudio's Python search, with the same results.
    search: torch.jit.ScriptModule | None = None
    quantize: str = "none"  # what runtime.prepare_model did to the stored weights
    compute: str = "cpu"  # the torch device the model's weights are on

    @property
    def name(self) -> str:
        return self.directory.name


def read_config(directory: Path) -> ModelConfig:
    return ModelConfig.from_json(read_json(directory / CONFIG_FILE), directory / CONFIG_FILE)


def read_stats(directory: Path, n_mels: int) -> GlobalStats:
    import torch

    path = directory / STATS_FILE
    blob = read_json(path)
    vectors: dict[str, torch.Tensor] = {}
    for key in ("mean", "invstddev"):
        values = blob.get(key) if isinstance(blob, dict) else None
        if (
            not isinstance(values, list)
            or len(values) != n_mels
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in values
            )
        ):
            raise ModelError(f"{path}: '{key}' must be a list of {n_mels} finite numbers")
        vectors[key] = torch.tensor(values, dtype=torch.float32)
    return GlobalStats(mean=vectors["mean"], invstddev=vectors["invstddev"])


def read_tokenizer(directory: Path, config: ModelConfig) -> spm.SentencePieceProcessor:
    path = directory / TOKENIZER_FILE
    if not path.is_file():
        raise ModelError(f"{path}: file is missing from the model directory")
    try:
        tokenizer = spm.SentencePieceProcessor(model_file=str(path))
    except (RuntimeError, OSError) as exc:
        raise ModelError(f"{path}: not a sentencepiece model ({exc})") from None
    last_id = config.num_symbols - 1
    highest_token = last_id - 1 if config.blank == last_id else last_id
    if tokenizer.get_piece_size() <= highest_token:
        raise ModelError(
            f"{path}: has {tokenizer.get_piece_size()} pieces but the model emits "
            f"token ids up to {highest_token}"
        )
    return tokenizer


def read_weights(directory: Path, config: ModelConfig) -> RNNT:
    return load_weights(directory / WEIGHTS_FILE, config.build_model())


def load_model_dir(directory: Path) -> ModelFiles:
    """Load and cross-check a model directory; any problem is a :class:`ModelError`."""
    if not directory.is_dir():
        raise ModelError(
            f"{directory}: not a model directory (expected a folder holding "
            f"{CONFIG_FILE}, {WEIGHTS_FILE}, {TOKENIZER_FILE} and {STATS_FILE})"
        )
    config = read_config(directory)
    stats = read_stats(directory, config.n_mels)
    tokenizer = read_tokenizer(directory, config)
    model = read_weights(directory, config)
    return ModelFiles(directory, config, model, tokenizer, stats)


def write_config(directory: Path, config: ModelConfig) -> None:
    (directory / CONFIG_FILE).write_text(json.dumps(config.to_json(), indent=2) + "\n")


def write_model_dir(
    directory: Path,
    config: ModelConfig,
    state_dict: dict[str, torch.Tensor],
    tokenizer_model: bytes,
    stats: GlobalStats,
    *,
    half: bool = False,
) -> None:
    """Write the four files of a model directory (``half`` stores weights as fp16)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_config(directory, config)
    save_weights(directory / WEIGHTS_FILE, state_dict, half=half)
    (directory / TOKENIZER_FILE).write_bytes(tokenizer_model)
    (directory / STATS_FILE).write_text(json.dumps(stats.to_json()) + "\n")
