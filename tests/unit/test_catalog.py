"""Model names and the first-use download, against a real HTTP server on loopback."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import re
import socket
import struct
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.loopback import LoopbackServer, QuietHandler, serving
from tools.random_sherpa import make_random_sherpa
from tui_captions.asr import cards, catalog
from tui_captions.asr.avsr.engine import load_avsr
from tui_captions.asr.avsr.model_dir import FORMAT as AVSR_FORMAT
from tui_captions.asr.cards import ReleaseArchive
from tui_captions.asr.catalog import (
    RemoteFile,
    RemoteModel,
    materialize,
    materialize_release,
    model_directory,
)
from tui_captions.asr.defaults import AV_MODEL, AV_MODEL_FILES, DEFAULT_MODEL, is_audio_visual
from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE
from tui_captions.asr.emformer.model_dir import (
    STATS_FILE,
    TOKENIZER_FILE,
    load_model_dir,
    read_config,
)
from tui_captions.asr.registry import engine_for
from tui_captions.asr.sherpa.model_dir import read_sherpa_dir
from tui_captions.core.download import DownloadError, download
from tui_captions.errors import ModelError
from tui_captions.text import catalog as text_catalog
from tui_captions.text.names import PUBLISHED


class _Handler(QuietHandler):
    # file name -> how many more requests for it break off halfway through the body
    drops: ClassVar[dict[str, int]] = {}
    reset: ClassVar[bool] = False  # break off with a TCP reset rather than a close
    ranges: ClassVar[bool] = False  # answer "Range: bytes=N-" with 206 and the rest

    def answer(self) -> None:
        asked = self.headers.get("Range")
        name = self.path.rsplit("/", 1)[-1]
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked and self.ranges else 0
        if self.drops.get(name, 0) == 0 and start == 0:
            super().answer()
            return
        body = (Path(self.directory) / name).read_bytes()
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        if self.drops.get(name, 0) == 0:
            self.wfile.write(body[start:])
            return
        self.drops[name] -= 1
        self.wfile.write(body[start : (start + len(body)) // 2])
        self.wfile.flush()
        self.close_connection = True
        if self.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.fixture
def server(micro_model_dir: Path) -> Iterator[LoopbackServer]:
    with serving(micro_model_dir, _Handler) as httpd:
        yield httpd
    _Handler.drops, _Handler.reset, _Handler.ranges = {}, False, False


def remote_for(
    micro_model_dir: Path, port: int, weights: str = WEIGHTS_FILE, pinned: bool = False
) -> RemoteModel:
    """The micro model as the catalog would publish it; ``pinned``: with each file's sha256."""
    served = {WEIGHTS_FILE: weights, TOKENIZER_FILE: TOKENIZER_FILE, STATS_FILE: STATS_FILE}
    return RemoteModel(
        name="micro",
        base_url=f"http://127.0.0.1:{port}/",
        files={
            name: RemoteFile(path, sha256_of(micro_model_dir / path) if pinned else None)
            for name, path in served.items()
        },
        config=read_config(micro_model_dir),
        check=load_model_dir,
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_materializes_a_checked_model_dir_once(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    remote = remote_for(micro_model_dir, server.server_address[1])
    seen: list[tuple[str, int, int | None]] = []
    directory = materialize(remote, tmp_path, lambda *update: seen.append(update))
    assert directory == tmp_path / "micro"
    assert load_model_dir(directory).config == read_config(micro_model_dir)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["micro"]  # no staging left behind
    weights = [u for u in seen if u[0] == WEIGHTS_FILE]
    size = (micro_model_dir / WEIGHTS_FILE).stat().st_size
    assert weights[0][1] == 0 and weights[-1] == (WEIGHTS_FILE, size, size)
    assert [u[1] for u in weights] == sorted(u[1] for u in weights)
    requests = len(server.requests)
    materialize(remote, tmp_path)
    assert len(server.requests) == requests


def test_no_network_says_how_to_go_offline(micro_model_dir: Path, tmp_path: Path) -> None:
    """Where local models are explained, and the model that needs no download."""
    remote = remote_for(micro_model_dir, port=9)  # discard port: nothing listens
    with pytest.raises(ModelError) as raised:
        materialize(remote, tmp_path)
    message = str(raised.value)
    assert "need the internet; offline, run with --model PATH" in message
    assert "docs/models.md, 'Local models (offline)'" in message and "README" not in message
    assert "--model demo-tiny" in message
    assert list(tmp_path.iterdir()) == []


def test_no_network_for_a_language_model_says_how_to_decode_without_it(tmp_path: Path) -> None:
    """Issue 36: an offline --lm was told --model PATH or demo-tiny, which has no --lm."""
    import dataclasses

    remote = dataclasses.replace(
        catalog.REMOTE_LMS["librispeech-4-gram"], base_url="http://127.0.0.1:9/"
    )
    with pytest.raises(ModelError) as raised:
        materialize(remote, tmp_path)
    message = str(raised.value)
    assert "offline, run with --decoder greedy (no language model), or leave out --lm" in message
    assert "demo-tiny" not in message
    assert list(tmp_path.iterdir()) == []


def test_a_download_that_breaks_off_twice_is_one_line_and_leaves_nothing(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    _Handler.drops = {TOKENIZER_FILE: 2}
    with pytest.raises(ModelError) as raised:
        materialize(remote_for(micro_model_dir, server.server_address[1]), tmp_path)
    message = str(raised.value)
    assert re.fullmatch(
        rf"the download of \S+/{TOKENIZER_FILE} stopped early \(\d+ of \d+ bytes\), "
        "on a second try too; try again later",
        message,
    )
    tries = [path for path, _ in server.requests if path.endswith(TOKENIZER_FILE)]
    assert len(tries) == 2
    assert list(tmp_path.iterdir()) == []


def _weights_progress(seen: list[tuple[str, int, int | None]]) -> list[int]:
    return [done for label, done, _ in seen if label == WEIGHTS_FILE]


def test_a_dropped_download_resumes_where_it_stopped(
    server: LoopbackServer,
    micro_model_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The second request asks for the rest only; the bar goes on from where it stopped; the
    joined file is the published one (its pinned sha256 is checked)."""
    _Handler.drops, _Handler.ranges = {WEIGHTS_FILE: 1}, True
    seen: list[tuple[str, int, int | None]] = []
    with caplog.at_level(logging.DEBUG, logger="tui_captions.core.download"):
        directory = materialize(
            remote_for(micro_model_dir, server.server_address[1], pinned=True),
            tmp_path,
            lambda *update: seen.append(update),
        )
    size = (micro_model_dir / WEIGHTS_FILE).stat().st_size
    asked = [rng for path, rng in server.requests if path.endswith(WEIGHTS_FILE)]
    assert asked == [None, f"bytes={size // 2}-"]
    done = _weights_progress(seen)
    assert done == sorted(done) and done[-1] == size and size // 2 in done
    assert (directory / WEIGHTS_FILE).read_bytes() == (micro_model_dir / WEIGHTS_FILE).read_bytes()
    assert f"trying again from byte {size // 2}" in caplog.text


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_dropped_download_starts_over_where_the_server_cannot_resume(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path, reset: bool
) -> None:
    _Handler.drops, _Handler.reset = {WEIGHTS_FILE: 1}, reset
    seen: list[tuple[str, int, int | None]] = []
    remote = remote_for(micro_model_dir, server.server_address[1], pinned=True)
    directory = materialize(remote, tmp_path, lambda *update: seen.append(update))
    size = (micro_model_dir / WEIGHTS_FILE).stat().st_size
    done = _weights_progress(seen)
    assert done.count(0) == 2 and done[-1] == size  # the bar starts over with the file
    assert (directory / WEIGHTS_FILE).read_bytes() == (micro_model_dir / WEIGHTS_FILE).read_bytes()
    assert load_model_dir(directory).config == read_config(micro_model_dir)


def test_a_file_that_is_not_the_published_one_is_named_and_deleted(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    """One line with the file, both digests and what to do; the bad copy is gone."""
    url = f"http://127.0.0.1:{server.server_address[1]}/{TOKENIZER_FILE}"
    expected = sha256_of(micro_model_dir / STATS_FILE)  # the digest of some other file
    dest = tmp_path / TOKENIZER_FILE
    with pytest.raises(DownloadError) as raised:
        download(url, dest, TOKENIZER_FILE, None, "micro", "--model PATH", sha256=expected)
    actual = sha256_of(micro_model_dir / TOKENIZER_FILE)
    assert str(raised.value) == (
        f"the downloaded {TOKENIZER_FILE} of 'micro' ({url}) is not the published file: "
        f"sha256 {actual}, expected {expected}; it was deleted, try again"
    )
    assert not dest.exists()


def test_a_pinned_mismatch_stops_the_model_before_it_is_used(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    remote = remote_for(micro_model_dir, server.server_address[1], weights=TOKENIZER_FILE)
    tokenizer_digest = sha256_of(micro_model_dir / TOKENIZER_FILE)
    weights = RemoteFile(TOKENIZER_FILE, sha256_of(micro_model_dir / WEIGHTS_FILE))
    remote = dataclasses.replace(remote, files={**remote.files, WEIGHTS_FILE: weights})
    with pytest.raises(ModelError, match=f"{WEIGHTS_FILE} of 'micro' .* sha256 {tokenizer_digest}"):
        materialize(remote, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_every_downloaded_file_states_its_sha256_and_these_are_not_pinned_yet() -> None:
    """The gap, kept visible: a session with network pins these from the published files
    (docs/models.md, 'Checked downloads') and shortens this list."""
    remotes = [*catalog.REMOTE_MODELS.values(), *catalog.REMOTE_LMS.values()]
    files: list[tuple[str, RemoteFile | ReleaseArchive]] = [
        (f"{remote.name}/{name}", file) for remote in remotes for name, file in remote.files.items()
    ]
    files += [
        (f"{card.name}/{card.archive.asset}", card.archive)
        for card in cards.MODEL_CARDS
        if card.archive is not None
    ]
    unpinned = [name for name, file in files if file.sha256 is None]
    if text_catalog.PUBLISHED_SHA256 is None:
        unpinned.append(f"{PUBLISHED}/{text_catalog.PUBLISHED_URL.rsplit('/', 1)[-1]}")
    assert sorted(unpinned) == [
        "avsr-device/device_avsr_model.pt",
        "edge-punct-en/sherpa-onnx-online-punct-en-2024-08-06.tar.bz2",
        "emformer-librispeech/global_stats.json",
        "emformer-librispeech/model.pt",
        "emformer-librispeech/tokenizer.model",
        "fastconformer-en-480ms/sherpa-onnx-nemo-streaming-fast-conformer-transducer-en-480ms-int8.tar.bz2",
        "fastconformer-en-80ms/sherpa-onnx-nemo-streaming-fast-conformer-transducer-en-80ms-int8.tar.bz2",
        "lm-librispeech-3-gram/lexicon.txt",
        "lm-librispeech-3-gram/lm.bin",
        "lm-librispeech-4-gram/lexicon.txt",
        "lm-librispeech-4-gram/lm.bin",
        "nemotron-3.5-560ms/sherpa-onnx-nemotron-3.5-asr-streaming-0.6b-560ms-int8-2026-06-11.tar.bz2",
        "nemotron-en-160ms/sherpa-onnx-nemotron-speech-streaming-en-0.6b-160ms-int8-2026-04-25.tar.bz2",
        "nemotron-en-560ms/sherpa-onnx-nemotron-speech-streaming-en-0.6b-560ms-int8-2026-04-25.tar.bz2",
        "wav2vec2-librispeech/model.pt",
        "zipformer-de/sherpa-onnx-streaming-zipformer-de-kroko-2025-08-06.tar.bz2",
        "zipformer-en-20m/sherpa-onnx-streaming-zipformer-en-20M-2023-02-17.tar.bz2",
        "zipformer-en-70m/sherpa-onnx-streaming-zipformer-en-2023-06-21.tar.bz2",
        "zipformer-es/sherpa-onnx-streaming-zipformer-es-kroko-2025-08-06.tar.bz2",
        "zipformer-fr/sherpa-onnx-streaming-zipformer-fr-kroko-2025-08-06.tar.bz2",
        "zipformer-ko/sherpa-onnx-streaming-zipformer-korean-2024-06-16.tar.bz2",
        "zipformer-ru/sherpa-onnx-streaming-zipformer-small-ru-vosk-int8-2025-08-16.tar.bz2",
        "zipformer-zh-en/sherpa-onnx-streaming-zipformer-bilingual-zh-en-2023-02-20.tar.bz2",
        "zipformer-zh/sherpa-onnx-streaming-zipformer-zh-int8-2025-06-30.tar.bz2",
    ]
    pinned = [file.sha256 for _, file in files if file.sha256 is not None]
    assert pinned and all(re.fullmatch("[0-9a-f]{64}", digest) for digest in pinned)


def test_files_that_fail_the_check_are_not_kept(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    remote = remote_for(micro_model_dir, server.server_address[1], weights=TOKENIZER_FILE)
    with pytest.raises(ModelError, match="the downloaded model 'micro' failed its check"):
        materialize(remote, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_on_the_server_is_reported(
    server: LoopbackServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    remote = remote_for(micro_model_dir, server.server_address[1], weights="moved.pt")
    with pytest.raises(ModelError, match=r"moved.pt answered 404 .*--model PATH.*demo-tiny"):
        materialize(remote, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ModelError, match=r"unknown model 'nope': .*emformer-librispeech"):
        model_directory("nope")


def test_a_path_names_a_directory(micro_model_dir: Path) -> None:
    assert model_directory(str(micro_model_dir)) == micro_model_dir


def test_default_model_config_is_the_published_architecture() -> None:
    import torchaudio

    config = catalog.EMFORMER_LIBRISPEECH_CONFIG
    assert catalog.REMOTE_MODELS[DEFAULT_MODEL].config is config
    ours = sum(p.numel() for p in config.build_model().parameters())
    published = torchaudio.models.emformer_rnnt_base(num_symbols=4097)
    assert ours == sum(p.numel() for p in published.parameters())
    assert config.chunk_samples == 2560 and config.blank == 4096


def test_the_wav2vec2_download_drops_fairseqs_unused_rows_and_loads(
    wav2vec2_model_dir: Path, tmp_path: Path
) -> None:
    """Published as torchaudio publishes it (32 outputs, rows 1-3 unused): materialized
    into a directory whose CTC head has the bundle's 29 labels, in their order."""
    import torch

    from tui_captions.asr.wav2vec2.model import read_wav2vec2_weights
    from tui_captions.asr.wav2vec2.model_dir import read_wav2vec2_config

    published = tmp_path / "published"
    published.mkdir()
    state = torch.load(wav2vec2_model_dir / WEIGHTS_FILE, weights_only=True)
    for key in ("aux.weight", "aux.bias"):
        rows = state[key]
        state[key] = torch.cat((rows[:1], torch.full_like(rows[:3], 99.0), rows[1:]))
    torch.save(state, published / "w2v.pth")
    with serving(published) as httpd:
        remote = dataclasses.replace(
            catalog.WAV2VEC2_LIBRISPEECH,
            base_url=httpd.url,
            files={WEIGHTS_FILE: RemoteFile("w2v.pth", None)},
            config=read_wav2vec2_config(wav2vec2_model_dir),
        )
        directory = materialize(remote, tmp_path / "cache")
    model = read_wav2vec2_weights(directory, read_wav2vec2_config(directory))
    original = torch.load(wav2vec2_model_dir / WEIGHTS_FILE, weights_only=True)
    assert model.aux is not None
    assert torch.equal(model.aux.bias, original["aux.bias"])


def test_the_audio_visual_model_is_known_by_name_or_files_before_it_loads(
    micro_model_dir: Path, tmp_path: Path
) -> None:
    """What the app says about a model it could not load (its files, fp32) needs this; the
    loader knows the directory by the same check (issue 36: it had a copy of its own)."""
    assert is_audio_visual(AV_MODEL) and not is_audio_visual(DEFAULT_MODEL)
    assert not is_audio_visual(str(micro_model_dir))
    (tmp_path / AV_MODEL_FILES[0]).touch()
    assert not is_audio_visual(str(tmp_path))  # one of its two files is not the model
    (tmp_path / AV_MODEL_FILES[1]).touch()
    assert is_audio_visual(str(tmp_path)) and engine_for(tmp_path) is load_avsr


def test_the_audio_visual_download_declares_its_format(tmp_path: Path) -> None:
    """The published files have no config.json: the download writes one, so the registry
    finds the engine by its format, as it finds the others."""
    published = tmp_path / "published"
    published.mkdir()
    for name in AV_MODEL_FILES:
        (published / name).write_bytes(b"stand-in")  # the loader's own check is not tested here
    with serving(published) as httpd:
        remote = dataclasses.replace(
            catalog.REMOTE_MODELS[AV_MODEL],
            base_url=httpd.url,
            files={name: RemoteFile(name, None) for name in AV_MODEL_FILES},  # stand-ins
            check=lambda directory: None,
        )
        directory = materialize(remote, tmp_path / "models")
    assert json.loads((directory / CONFIG_FILE).read_text())["format"] == AVSR_FORMAT
    assert engine_for(directory) is load_avsr


# -- sherpa-onnx's models: one released archive of their directory each ----------------------

RELEASED = "sherpa-onnx-lstm-xx-2026-01-01"  # the folder a release's archive holds


@pytest.fixture(scope="module")
def released_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A random-weight sherpa-onnx LSTM transducer in the released layout: its files."""
    folder = tmp_path_factory.mktemp("released") / RELEASED
    make_random_sherpa(folder, "lstm", int8=True)
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def _released_archive(
    folder: Path,
    name: str,
    files: dict[str, bytes],
    extra: tarfile.TarInfo | None = None,
) -> Path:
    """A ``.tar.bz2`` laid out as sherpa-onnx's releases are (one folder holding the model
    and its test_wavs), with ``extra`` appended: the member a bad archive smuggles in."""
    archive = folder / name
    with tarfile.open(archive, "w:bz2") as tar:
        for path, data in {**files, "test_wavs/0.wav": b"RIFF"}.items():
            info = tarfile.TarInfo(f"{RELEASED}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"x" * extra.size))
    return archive


@pytest.fixture
def releases(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A loopback server of release archives: (its folder, its base URL)."""
    published = tmp_path / "published"
    published.mkdir()
    with serving(published, _Handler) as httpd:
        yield published, httpd.url
    _Handler.drops, _Handler.reset, _Handler.ranges = {}, False, False


def _fetch_release(
    base_url: str, asset: str, models_root: Path, sha256: str | None = None, **kwargs: Any
) -> Path:
    """The catalog's own route for a release (its check included), from the loopback server."""
    archive = ReleaseArchive(asset, sha256, base_url)
    return materialize_release("lstm-xx", archive, models_root, **kwargs)


def test_a_release_is_downloaded_once_unpacked_and_used_as_released(
    releases: tuple[Path, str], released_model: dict[str, bytes], tmp_path: Path
) -> None:
    """The released folder's files become the model directory, read as the sherpa engine
    reads it (test_wavs too: as released); the archive is not kept; the bar reports the
    archive's bytes; a second use asks nothing."""
    published, base = releases
    archive = _released_archive(published, "xx.tar.bz2", released_model)
    seen: list[tuple[str, int, int | None]] = []
    directory = _fetch_release(
        base, "xx.tar.bz2", tmp_path / "models", progress=lambda *update: seen.append(update)
    )
    assert directory == tmp_path / "models" / "lstm-xx"
    assert sorted(p.name for p in directory.iterdir()) == sorted([*released_model, "test_wavs"])
    assert all((directory / name).read_bytes() == data for name, data in released_model.items())
    assert read_sherpa_dir(directory).family == "lstm"
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["lstm-xx"]
    size = archive.stat().st_size
    assert seen[-1] == ("xx.tar.bz2", size, size)
    assert _fetch_release(base, "gone.tar.bz2", tmp_path / "models") == directory  # cached


def test_the_catalog_names_fetch_their_release_archives(tmp_path: Path) -> None:
    """Every sherpa-onnx name is a release asset, found in the cache by its name."""
    released = [card for card in cards.MODEL_CARDS if card.archive is not None]
    assert len(released) >= 14
    for card in released:
        assert card.archive is not None and card.engine == cards.SHERPA_ENGINE
        assert re.fullmatch(
            r"https://github\.com/k2-fsa/sherpa-onnx/releases/download/asr-models/"
            r"sherpa-onnx-[a-z0-9.-]+[a-z0-9-]\.tar\.bz2",
            card.archive.url,
            flags=re.IGNORECASE,
        ), card.archive.url
        (tmp_path / card.name).mkdir()
        assert model_directory(card.name, models_root=tmp_path) == tmp_path / card.name
    languages = {language for card in released for language in card.languages}
    assert {"en", "fr", "de", "es", "ru", "ko", "zh"} <= languages


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("traversal", "'../../evil.sh', a path outside its folder"),
        ("absolute", "'/tmp/evil.sh', an absolute path"),
        ("symlink", f"'{RELEASED}/tokens-link', a link to /etc/passwd, outside its folder"),
        ("relative-link", f"'{RELEASED}/up', a link to ../../.., outside its folder"),
        ("hardlink", f"'{RELEASED}/hard', a link to ../outside, outside its folder"),
        ("device", f"'{RELEASED}/sda', a device or other special file"),
        ("fifo", f"'{RELEASED}/pipe', a device or other special file"),
    ],
)
def test_an_archive_with_a_member_outside_its_folder_is_refused_whole(
    releases: tuple[Path, str],
    released_model: dict[str, bytes],
    tmp_path: Path,
    kind: str,
    why: str,
) -> None:
    """One line naming the member; nothing is written, inside the cache or out."""
    name, kind_of_member, target = {
        "traversal": ("../../evil.sh", tarfile.REGTYPE, ""),
        "absolute": ("/tmp/evil.sh", tarfile.REGTYPE, ""),
        "symlink": (f"{RELEASED}/tokens-link", tarfile.SYMTYPE, "/etc/passwd"),
        "relative-link": (f"{RELEASED}/up", tarfile.SYMTYPE, "../../.."),
        "hardlink": (f"{RELEASED}/hard", tarfile.LNKTYPE, "../outside"),
        "device": (f"{RELEASED}/sda", tarfile.BLKTYPE, ""),
        "fifo": (f"{RELEASED}/pipe", tarfile.FIFOTYPE, ""),
    }[kind]
    extra = tarfile.TarInfo(name)
    extra.type, extra.linkname = kind_of_member, target
    extra.size = 4 if extra.type == tarfile.REGTYPE else 0
    published, base = releases
    _released_archive(published, "bad.tar.bz2", released_model, extra)
    models = tmp_path / "cache" / "models"
    with pytest.raises(ModelError) as raised:
        _fetch_release(base, "bad.tar.bz2", models)
    assert str(raised.value) == (
        f"the downloaded archive bad.tar.bz2 holds {why}; it was not unpacked: it is not "
        "a released model"
    )
    assert list(models.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "published"]
    assert not Path("/tmp/evil.sh").exists()


def test_a_release_that_is_not_the_pinned_archive_is_deleted_before_it_is_opened(
    releases: tuple[Path, str], released_model: dict[str, bytes], tmp_path: Path
) -> None:
    published, base = releases
    archive = _released_archive(published, "xx.tar.bz2", released_model)
    expected = hashlib.sha256(b"the published archive").hexdigest()
    models = tmp_path / "models"
    with pytest.raises(DownloadError) as raised:
        _fetch_release(base, "xx.tar.bz2", models, sha256=expected)
    assert str(raised.value) == (
        f"the downloaded xx.tar.bz2 of 'lstm-xx' ({base}xx.tar.bz2) is not the published "
        f"file: sha256 {sha256_of(archive)}, expected {expected}; it was deleted, try again"
    )
    assert list(models.iterdir()) == []


def test_a_pinned_release_that_matches_is_used(
    releases: tuple[Path, str], released_model: dict[str, bytes], tmp_path: Path
) -> None:
    published, base = releases
    archive = _released_archive(published, "xx.tar.bz2", released_model)
    directory = _fetch_release(base, "xx.tar.bz2", tmp_path / "m", sha256=sha256_of(archive))
    assert (directory / "tokens.txt").read_bytes() == released_model["tokens.txt"]


def test_a_dropped_release_download_is_tried_again(
    releases: tuple[Path, str], released_model: dict[str, bytes], tmp_path: Path
) -> None:
    """The big archives are where a connection drops: the existing retry covers them."""
    published, base = releases
    archive = _released_archive(published, "xx.tar.bz2", released_model)
    _Handler.drops = {"xx.tar.bz2": 1}
    directory = _fetch_release(base, "xx.tar.bz2", tmp_path / "m", sha256=sha256_of(archive))
    assert read_sherpa_dir(directory).family == "lstm"
    _Handler.drops = {"xx.tar.bz2": 2}
    with pytest.raises(ModelError, match=r"xx.tar.bz2 stopped early .* on a second try too"):
        _fetch_release(base, "xx.tar.bz2", tmp_path / "n")
    assert list((tmp_path / "n").iterdir()) == []


def test_a_release_that_fails_the_check_or_cannot_be_read_is_not_kept(
    releases: tuple[Path, str], released_model: dict[str, bytes], tmp_path: Path
) -> None:
    """A release without its tokens.txt is caught by the engine's own reading of it."""
    published, base = releases
    without_tokens = {name: data for name, data in released_model.items() if name != "tokens.txt"}
    _released_archive(published, "xx.tar.bz2", without_tokens)
    (published / "junk.tar.bz2").write_bytes(b"BZh91AY&SY" + b"\x00" * 50)
    with tarfile.open(published / "empty.tar.bz2", "w:bz2"):
        pass
    with pytest.raises(ModelError, match=r"^the downloaded model 'lstm-xx' failed its check \("):
        _fetch_release(base, "xx.tar.bz2", tmp_path / "m")
    with pytest.raises(ModelError, match=r"^the downloaded model 'lstm-xx' failed its check \("):
        _fetch_release(base, "empty.tar.bz2", tmp_path / "m")
    with pytest.raises(ModelError, match=r"^the downloaded archive junk.tar.bz2 cannot be read"):
        _fetch_release(base, "junk.tar.bz2", tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []


def test_a_release_offline_says_how_to_go_offline(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as raised:
        _fetch_release("http://127.0.0.1:9/", "xx.tar.bz2", tmp_path)
    assert "need the internet; offline, run with --model PATH" in str(raised.value)
    assert list(tmp_path.iterdir()) == []
