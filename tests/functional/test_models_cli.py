"""``captions-tui models``: the catalog as a table and as JSON, in-process, on a private cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_captions.asr.cards import CARDS, MODEL_CARDS, MODEL_NAMES
from tui_captions.asr.defaults import DEFAULT_MODEL, DEMO_MODEL
from tui_captions.cli import main


@pytest.fixture
def models_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache with one downloaded model of 3 MB in it (as a download leaves it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "220")
    downloaded = tmp_path / "cache" / "captions-tui" / "models" / "zipformer-en-70m"
    (downloaded / "test_wavs").mkdir(parents=True)
    (downloaded / "encoder.int8.onnx").write_bytes(b"\0" * 2_000_000)
    (downloaded / "test_wavs" / "0.wav").write_bytes(b"\0" * 1_000_000)
    return downloaded.parent


def test_the_table_lists_the_whole_catalog_with_its_figures(
    models_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert f"{DEFAULT_MODEL}*" in rows  # the default, marked
    for name in MODEL_NAMES:
        assert (f"{name}*" if name == DEFAULT_MODEL else name) in rows, name
    emformer = rows[f"{DEFAULT_MODEL}*"].split()
    assert emformer[1:5] == ["emformer-rnnt", "en", "~293", "MB"]  # not on disk: as published
    assert emformer[-2:] == ["no", "no"]  # no punctuation; not on disk
    zipformer = rows["zipformer-en-70m"].split()
    assert zipformer[1:5] == ["sherpa-onnx", "en", "3", "MB"]  # on disk: what it takes there
    assert "2.42 / 6.03" in rows["zipformer-en-70m"] and zipformer[-1] == "yes"
    assert rows[DEMO_MODEL].split()[-1] == "yes"  # bundled
    assert rows["nemotron-en-560ms"].split()[-2:] == ["yes", "no"]  # punctuates; not on disk
    assert "15: en, es, fr, …" in rows["nemotron-3.5-560ms"]


def test_json_gives_scripts_every_field(
    models_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == list(MODEL_NAMES)
    by_name = {row["name"]: row for row in rows}
    downloaded = by_name["zipformer-en-70m"]
    assert downloaded["on_disk"] is True and downloaded["path"] == str(
        models_root / "zipformer-en-70m"
    )
    assert downloaded["size_mb"] == 3 and downloaded["size_is_published"] is False
    assert downloaded["published_wer"] == "2.42 / 6.03"
    assert downloaded["wer_measured_on"].startswith("LibriSpeech test-clean / test-other")
    assert downloaded["release_archive"] == CARDS["zipformer-en-70m"].archive.url  # type: ignore[union-attr]
    assert downloaded["archive_sha256"] is None  # not pinned yet: docs/models.md
    nemotron = by_name["nemotron-3.5-560ms"]
    assert nemotron["on_disk"] is False and nemotron["path"] is None
    assert nemotron["size_mb"] == 650 and nemotron["size_is_published"] is True
    assert nemotron["punctuates"] is True and len(nemotron["languages"]) == 15
    assert by_name[DEFAULT_MODEL]["default"] is True
    assert sum(row["default"] for row in rows) == 1
    unknown = by_name["zipformer-fr"]
    assert unknown["published_wer"] is None and unknown["size_mb"] is None  # said, not invented
    assert len(rows) == len(MODEL_CARDS)
