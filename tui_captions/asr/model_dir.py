"""The model directory format: what ``--model PATH`` loads.

A model directory is data, never code: ``config.json`` is validated field by
field and ``model.pt`` is loaded with ``weights_only=True``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sentencepiece as spm
import torch
from torchaudio.models import RNNT, emformer_rnnt_model

from tui_captions.asr.engine import StreamFormat
from tui_captions.errors import ModelError

FORMAT = "captions-tui/emformer-rnnt"
VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.pt"
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
        try:
            return emformer_rnnt_model(**self.model_kwargs)
        except (TypeError, ValueError, AssertionError) as exc:
            raise ModelError(
                f"model_kwargs in {CONFIG_FILE} do not describe a model: {exc}"
            ) from exc


def config_object(blob: object, where: Path, fmt: str, version: int) -> dict[str, Any]:
    """A parsed ``config.json`` of format ``fmt`` at ``version``, or the problem named."""
    if not isinstance(blob, dict):
        raise ModelError(f"{where}: expected a JSON object")
    if blob.get("format") != fmt:
        raise ModelError(
            f"{where}: format is {blob.get('format')!r}, not {fmt!r}: "
            "this is not a captions-tui model directory"
        )
    if blob.get("version") != version:
        raise ModelError(
            f"{where}: format version {blob.get('version')!r} is not supported "
            f"(this captions-tui reads version {version} of {fmt}); "
            "update captions-tui or re-create the model directory"
        )
    return blob


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


def read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{path}: file is missing from the model directory") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None


def read_config(directory: Path) -> ModelConfig:
    return ModelConfig.from_json(read_json(directory / CONFIG_FILE), directory / CONFIG_FILE)


def read_stats(directory: Path, n_mels: int) -> GlobalStats:
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


ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)


def load_weights(path: Path, model: ModuleT) -> ModuleT:
    """A stored state_dict (fp16 or fp32) into ``model``; any problem names the file."""
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{path}: file is missing from the model directory") from None
    except Exception as exc:  # torch raises many types for corrupt files
        raise ModelError(
            f"{path}: not a readable weights file ({type(exc).__name__}: {exc})".splitlines()[0]
        ) from None
    if not isinstance(state_dict, dict):
        raise ModelError(f"{path}: expected a state_dict, found {type(state_dict).__name__}")
    try:
        model.load_state_dict({k: v.float() for k, v in state_dict.items()})
    except (RuntimeError, AttributeError) as exc:
        first_line = str(exc).strip().splitlines()[0:2]
        raise ModelError(
            f"{path}: weights do not match the architecture in {CONFIG_FILE} "
            f"({' '.join(first_line)})"
        ) from None
    return model.eval()


def save_weights(path: Path, state_dict: dict[str, torch.Tensor], *, half: bool) -> None:
    """``half`` stores float tensors as fp16 (half the size; the loader converts back)."""
    tensors = {
        k: (v.half() if half and v.is_floating_point() else v).contiguous()
        for k, v in state_dict.items()
    }
    torch.save(tensors, path)


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
