"""Which engine opens a model directory: the ``format`` named in its ``config.json``, or,
without one, the files of a model as its publisher released it (sherpa-onnx's, the
audio-visual model's).

A directory is recognised from its files and the engines' torch-free ``model_dir``
modules; an engine's own module is imported only once its directory is found, so a
sherpa-onnx model never waits for torch (which the other engines import).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from tui_captions.asr.avsr.model_dir import FORMAT as AVSR_FORMAT
from tui_captions.asr.catalog import language_model_files, model_directory
from tui_captions.asr.defaults import DownloadProgress, is_av_directory
from tui_captions.asr.directory import CONFIG_FILE, read_json
from tui_captions.asr.emformer.model_dir import FORMAT as EMFORMER_FORMAT
from tui_captions.asr.engine import (
    AsrModel,
    DecodeOptions,
    EngineLoader,
    RunOptions,
    check_language,
)
from tui_captions.asr.sherpa.model_dir import looks_like_sherpa_dir
from tui_captions.asr.wav2vec2.model_dir import FORMAT as WAV2VEC2_FORMAT
from tui_captions.errors import ModelError

_log = logging.getLogger(__name__)


def _emformer() -> EngineLoader:
    from tui_captions.asr.emformer.recognizer import load_emformer

    return load_emformer


def _wav2vec2() -> EngineLoader:
    from tui_captions.asr.wav2vec2.engine import load_wav2vec2

    return load_wav2vec2


def _avsr() -> EngineLoader:
    from tui_captions.asr.avsr.engine import load_avsr

    return load_avsr


def _sherpa() -> EngineLoader:
    from tui_captions.asr.sherpa.engine import load_sherpa

    return load_sherpa


# A declared format -> its engine's loader, imported when asked for.
ENGINES: dict[str, Callable[[], EngineLoader]] = {
    EMFORMER_FORMAT: _emformer,
    WAV2VEC2_FORMAT: _wav2vec2,
    AVSR_FORMAT: _avsr,
}


def engine_for(directory: Path) -> EngineLoader:
    """The loader of the format the directory's config.json declares; a foreign format names
    the file. Without a config.json: a sherpa-onnx model directory as released, or the
    audio-visual model as the tutorial publishes it, its two files (a directory the user
    made; the catalog's download writes a config.json for it)."""
    path = directory / CONFIG_FILE
    if not directory.is_dir():
        raise ModelError(
            f"{directory}: not a model directory (expected a folder holding {path.name} "
            "and the files of the model it describes)"
        )
    if not path.exists() and is_av_directory(directory):
        return _avsr()
    if not path.exists() and looks_like_sherpa_dir(directory):
        return _sherpa()
    blob = read_json(path)
    found = blob.get("format") if isinstance(blob, dict) else None
    if not isinstance(found, str) or found not in ENGINES:
        raise ModelError(
            f"{path}: format is {found!r}, not one of {', '.join(map(repr, ENGINES))}: "
            "this is not a captions-tui model directory"
        )
    return ENGINES[found]()


def open_for_running(
    spec: str, progress: DownloadProgress, run: RunOptions, decode: DecodeOptions
) -> AsrModel:
    """The model by name or path (downloading if needed), prepared by its engine (a torch
    engine applies torch's thread policy as it loads).

    A named language model is fetched now, with the same progress, and one stream is
    made and dropped, so a decoder the model cannot run is reported before capture starts.
    """
    directory = model_directory(spec, progress)
    began = time.monotonic()
    model = engine_for(directory)(directory, run)
    _log.debug(
        "%s engine loaded from %s in %.2f s (%s, quantize %s, %d threads)",
        model.engine,
        directory,
        time.monotonic() - began,
        run.compute,
        run.quantize,
        run.threads,
    )
    check_language(decode.language, model.languages, spec)
    if decode.lm is not None:
        language_model_files(decode.lm, progress)
    model.create_stream(decode)
    return model
