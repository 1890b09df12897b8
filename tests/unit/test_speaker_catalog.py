"""`--speaker-model NAME`: a published speaker model fetched once, with progress, checked."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import serving
from tests.speaker_audio import TINY_SPEAKERS
from tui_captions.commands.setup import speaker_model
from tui_captions.errors import ModelError
from tui_captions.speakers import catalog
from tui_captions.speakers.catalog import SPEAKER_MODELS, downloaded, speaker_model_path

CARD = SPEAKER_MODELS["campplus-voxceleb"]


@pytest.fixture
def release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, list[tuple[str, str | None]]]]:
    """A local release of the catalog's files (the tiny model under each asset's name), and
    the requests it answered."""
    folder = tmp_path / "release"
    folder.mkdir()
    for card in SPEAKER_MODELS.values():
        shutil.copy(TINY_SPEAKERS, folder / card.asset)
    with serving(folder) as httpd:
        monkeypatch.setattr(catalog, "SPEAKER_RELEASES", httpd.url)
        yield folder, httpd.requests


def test_a_catalog_name_is_downloaded_once_with_progress_and_checked(
    release: tuple[Path, list[tuple[str, str | None]]], tmp_path: Path
) -> None:
    _, asked = release
    models = tmp_path / "models"
    assert downloaded(models) is None
    seen: list[tuple[str, int, int | None]] = []
    folder = speaker_model_path(CARD.name, models, lambda *update: seen.append(update))
    assert folder == models / CARD.name and (folder / CARD.asset).is_file()
    size = TINY_SPEAKERS.stat().st_size
    assert seen[-1] == (CARD.asset, size, size)
    assert speaker_model_path(CARD.name, models) == folder and len(asked) == 1
    assert downloaded(models) == folder
    assert sorted(p.name for p in models.iterdir()) == [CARD.name]  # no staging left


def test_a_download_that_fails_its_check_is_not_kept(
    release: tuple[Path, list[tuple[str, str | None]]], tmp_path: Path
) -> None:
    folder, _ = release
    (folder / CARD.asset).write_bytes(TINY_SPEAKERS.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"failed its check.*--speaker-model PATH"):
        speaker_model_path(CARD.name, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_offline_a_catalog_name_says_in_one_line_what_to_pass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(catalog, "SPEAKER_RELEASES", "http://127.0.0.1:9/")  # nothing listens
    with pytest.raises(ModelError) as raised:
        speaker_model_path(CARD.name, tmp_path / "models")
    message = str(raised.value)
    assert "need the internet; offline, run with --speaker-model PATH" in message
    assert "\n" not in message


def test_a_path_is_a_path() -> None:
    assert speaker_model_path(str(TINY_SPEAKERS), Path("/nonexistent")) == TINY_SPEAKERS


def test_a_speaker_model_given_turns_labels_on_in_live_and_transcribe_not_in_the_app() -> None:
    given = argparse.Namespace(speakers=False, speaker_model=str(TINY_SPEAKERS))
    assert speaker_model(given) == TINY_SPEAKERS
    assert speaker_model(given, model_asks=False) is None  # the app: its key's model
    assert speaker_model(argparse.Namespace(speakers=False, speaker_model=None)) is None
