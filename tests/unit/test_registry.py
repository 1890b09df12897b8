"""Which engine opens a model directory: the format its config.json declares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_captions.asr.avsr.engine import load_avsr
from tui_captions.asr.avsr.model_dir import FORMAT as AVSR_FORMAT
from tui_captions.asr.defaults import AV_MODEL_FILES
from tui_captions.asr.directory import CONFIG_FILE
from tui_captions.asr.emformer.model_dir import FORMAT as EMFORMER_FORMAT
from tui_captions.asr.emformer.recognizer import load_emformer
from tui_captions.asr.engine import RunOptions
from tui_captions.asr.registry import ENGINES, engine_for
from tui_captions.errors import ModelError


def av_directory(where: Path, config: dict[str, object] | None) -> Path:
    """The tutorial's two files (stand-ins: the registry only looks at names), and a
    config.json when given one."""
    where.mkdir()
    for name in AV_MODEL_FILES:
        (where / name).write_bytes(b"stand-in")
    if config is not None:
        (where / CONFIG_FILE).write_text(json.dumps(config))
    return where


def test_the_audio_visual_engine_is_found_by_its_declared_format(tmp_path: Path) -> None:
    directory = av_directory(tmp_path / "av", {"format": AVSR_FORMAT, "version": 1})
    assert engine_for(directory) is load_avsr


def test_the_published_audio_visual_files_alone_are_still_recognised(tmp_path: Path) -> None:
    """The one fallback: a directory the user filled with the tutorial's two files."""
    assert engine_for(av_directory(tmp_path / "av", None)) is load_avsr


def test_a_declared_format_wins_over_the_file_names(tmp_path: Path) -> None:
    directory = av_directory(tmp_path / "av", {"format": EMFORMER_FORMAT, "version": 1})
    assert engine_for(directory) is load_emformer


def test_an_audio_visual_config_of_another_version_is_named(tmp_path: Path) -> None:
    directory = av_directory(tmp_path / "av", {"format": AVSR_FORMAT, "version": 2})
    with pytest.raises(ModelError, match="format version 2 is not supported") as raised:
        load_avsr(directory, RunOptions(1, "none", "cpu"))
    assert str(directory / CONFIG_FILE) in str(raised.value)


def test_a_foreign_format_is_one_line_naming_the_file_and_every_format(tmp_path: Path) -> None:
    directory = av_directory(tmp_path / "av", {"format": "someone-else/model", "version": 1})
    with pytest.raises(ModelError) as raised:
        engine_for(directory)
    message = str(raised.value)
    assert len(message.splitlines()) == 1 and str(directory / CONFIG_FILE) in message
    assert all(repr(fmt) in message for fmt in ENGINES)
