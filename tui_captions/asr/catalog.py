"""Model names -> model directories: bundled, downloaded on first use, or a local path.

The default model is torchaudio's EMFORMER_RNNT_BASE_LIBRISPEECH, materialised
into the project's model-directory format in the user cache: downloaded with
progress into a temporary folder, checked by loading it, then moved into
place, so a broken download never looks like a model.
"""

from __future__ import annotations

import http.client
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from tui_captions import paths
from tui_captions.asr.defaults import DEFAULT_MODEL, DEMO_MODEL, MODEL_NAMES, DownloadProgress
from tui_captions.asr.model_dir import (
    STATS_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    ModelConfig,
    load_model_dir,
    write_config,
)
from tui_captions.errors import ModelError

FRONT_END: dict[str, int] = {
    "sample_rate": 16000,
    "n_fft": 400,
    "n_mels": 80,
    "hop_length": 160,
    "segment_length": 16,
    "right_context_length": 4,
}

# torchaudio.models.emformer_rnnt_base spelled out: 76.7 M parameters with 4097 symbols.
BASE_KWARGS: dict[str, Any] = {
    "input_dim": 80,
    "encoding_dim": 1024,
    "num_symbols": 4097,
    "segment_length": 16,
    "right_context_length": 4,
    "time_reduction_input_dim": 128,
    "time_reduction_stride": 4,
    "transformer_num_heads": 8,
    "transformer_ffn_dim": 2048,
    "transformer_num_layers": 20,
    "transformer_dropout": 0.1,
    "transformer_activation": "gelu",
    "transformer_left_context_length": 30,
    "transformer_max_memory_size": 0,
    "transformer_weight_init_scale_strategy": "depthwise",
    "transformer_tanh_on_mem": True,
    "symbol_embedding_dim": 512,
    "num_lstm_layers": 3,
    "lstm_layer_norm": True,
    "lstm_layer_norm_epsilon": 1e-3,
    "lstm_dropout": 0.3,
}


@dataclass(frozen=True)
class RemoteModel:
    """A model published as separate files that together make a model directory."""

    name: str
    base_url: str
    files: dict[str, str]  # model-directory file name -> path under base_url
    config: ModelConfig


REMOTE_MODELS = {
    DEFAULT_MODEL: RemoteModel(
        name=DEFAULT_MODEL,
        base_url="https://download.pytorch.org/torchaudio/",
        files={
            WEIGHTS_FILE: "models/emformer_rnnt_base_librispeech.pt",
            TOKENIZER_FILE: "pipeline-assets/spm_bpe_4096_librispeech.model",
            STATS_FILE: "pipeline-assets/global_stats_rnnt_librispeech.json",
        },
        config=ModelConfig(model_kwargs=BASE_KWARGS, blank=4096, **FRONT_END),
    )
}


def bundled_model_dir() -> Path:
    """The tiny demo model that ships inside the package."""
    return Path(str(resources.files("tui_captions.demo") / "tiny-emformer"))


def model_names() -> list[str]:
    return list(MODEL_NAMES)


def model_directory(
    spec: str, progress: DownloadProgress | None = None, models_root: Path | None = None
) -> Path:
    """The model directory a ``--model`` value names: a known name (downloaded into the
    cache on first use) or a directory path."""
    if spec in REMOTE_MODELS:
        return materialize(REMOTE_MODELS[spec], models_root or paths.models_dir(), progress)
    if spec == DEMO_MODEL:
        return bundled_model_dir()
    path = Path(spec).expanduser()
    if path.exists() or os.sep in spec or spec.startswith("."):
        return path
    raise ModelError(
        f"unknown model {spec!r}: give a model directory path or one of: "
        + ", ".join(model_names())
    )


def materialize(
    remote: RemoteModel, models_root: Path, progress: DownloadProgress | None = None
) -> Path:
    """Return the cached model directory, downloading and checking it first if needed."""
    target = models_root / remote.name
    if target.is_dir():
        return target
    models_root.mkdir(parents=True, exist_ok=True)
    staging = models_root / f".{remote.name}.download-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for file_name, key in remote.files.items():
            _download(remote.base_url + key, staging / file_name, file_name, progress, remote)
        write_config(staging, remote.config)
        try:
            load_model_dir(staging)
        except ModelError as exc:
            raise ModelError(
                f"the downloaded model {remote.name!r} failed its check ({exc}); "
                "try again, or use --model PATH with a local model directory"
            ) from None
        try:
            staging.rename(target)
        except OSError:  # another process finished first: use its copy
            shutil.rmtree(staging, ignore_errors=True)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(
    url: str, dest: Path, label: str, progress: DownloadProgress | None, remote: RemoteModel
) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response, dest.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress:
                progress(label, done, total)
            while block := response.read(1 << 20):
                out.write(block)
                done += len(block)
                if progress:
                    progress(label, done, total)
    except http.client.HTTPException as exc:  # e.g. the connection closed mid-file
        raise ModelError(
            f"the download of {url} broke off ({type(exc).__name__}); try again"
        ) from None
    except urllib.error.HTTPError as exc:
        raise ModelError(
            f"could not download the model {remote.name!r}: {url} answered "
            f"{exc.code} {exc.reason}; try again later, or run with --model PATH "
            "pointing at a local model directory"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(
            f"could not download the model {remote.name!r} from {url} ({reason}). "
            "The default model is fetched once, on first use, and needs the internet; "
            "offline, run with --model PATH pointing at a local model directory "
            "(see README, 'Local models')."
        ) from None
    if total is not None and done != total:
        raise ModelError(
            f"the download of {url} stopped early ({done} of {total} bytes); try again"
        )
