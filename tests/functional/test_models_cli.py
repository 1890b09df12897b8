"""``captions-tui models``: the catalog as a table and as JSON, in-process, on a private cache."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.audio_files import write_audio
from tests.cli import run_cli
from tests.loopback import serving
from tui_captions.asr import cards
from tui_captions.asr.cards import CARDS, MODEL_CARDS, MODEL_NAMES
from tui_captions.asr.defaults import DEFAULT_MODEL, DEMO_MODEL


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
    models_root: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    listed = run_cli(capfd, "models")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
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
    models_root: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    listed = run_cli(capfd, "models", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
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


@pytest.fixture
def release_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Loopback stands in for GitHub's releases: (the served folder, its base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    with serving(served) as httpd:
        yield served, httpd.url


def test_a_named_model_whose_archive_fails_its_checksum_is_one_line_and_exit_2(
    models_root: Path,
    release_server: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """``transcribe --model NAME`` as a user runs it, with the catalog's entry pinned to a
    digest the served archive does not have: nothing is unpacked or kept."""
    served, base = release_server
    card = CARDS["zipformer-ko"]
    assert card.archive is not None
    inner = tmp_path / "release" / "tokens.txt"
    inner.parent.mkdir()
    inner.write_text("<blk> 0\n")
    with tarfile.open(served / card.archive.asset, "w:bz2") as tar:
        tar.add(inner.parent, arcname="release")
    pinned = hashlib.sha256(b"what the release published").hexdigest()
    archive = dataclasses.replace(card.archive, sha256=pinned, base_url=base)
    monkeypatch.setitem(cards.CARDS, card.name, dataclasses.replace(card, archive=archive))
    audio = write_audio(tmp_path / "talk.wav", np.zeros(1600, dtype=np.float32), 16000)
    refused = run_cli(capfd, "transcribe", audio, "--model", card.name)
    assert refused.returncode == 2
    # The progress bar (wrapped where the terminal is narrow), then why.
    *bar, error = refused.stderr.strip().splitlines()
    assert bar and bar[0].startswith("downloading "), bar
    assert error.startswith(f"captions-tui: error: the downloaded {card.archive.asset} of ")
    assert "is not the published file: sha256 " in error and f"expected {pinned};" in error
    assert not (models_root / card.name).exists()
    assert [p.name for p in models_root.iterdir()] == ["zipformer-en-70m"]  # no staging left
