"""Model names and the first-use download, against a real HTTP server on loopback."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import json
import logging
import re
import socket
import struct
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest

from tui_captions.asr import catalog
from tui_captions.asr.avsr.engine import FORMAT as AVSR_FORMAT
from tui_captions.asr.avsr.engine import load_avsr
from tui_captions.asr.catalog import RemoteFile, RemoteModel, materialize, model_directory
from tui_captions.asr.defaults import AV_MODEL, AV_MODEL_FILES, DEFAULT_MODEL, is_audio_visual
from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE
from tui_captions.asr.emformer.model_dir import (
    STATS_FILE,
    TOKENIZER_FILE,
    load_model_dir,
    read_config,
)
from tui_captions.asr.registry import engine_for
from tui_captions.core.download import DownloadError, download
from tui_captions.errors import ModelError
from tui_captions.text import catalog as text_catalog
from tui_captions.text.names import PUBLISHED


class _Handler(http.server.SimpleHTTPRequestHandler):
    # file name -> how many more requests for it break off halfway through the body
    drops: ClassVar[dict[str, int]] = {}
    reset: ClassVar[bool] = False  # break off with a TCP reset rather than a close
    ranges: ClassVar[bool] = False  # answer "Range: bytes=N-" with 206 and the rest

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        asked = self.headers.get("Range")
        self.server.requests.append((self.path, asked))  # type: ignore[attr-defined]
        name = self.path.rsplit("/", 1)[-1]
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked and self.ranges else 0
        if self.drops.get(name, 0) == 0 and start == 0:
            super().do_GET()
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
def server(micro_model_dir: Path) -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Handler, directory=str(micro_model_dir))
    )
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
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
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
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
    requests = len(server.requests)  # type: ignore[attr-defined]
    materialize(remote, tmp_path)
    assert len(server.requests) == requests  # type: ignore[attr-defined]


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
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
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
    tries = [path for path, _ in server.requests if path.endswith(TOKENIZER_FILE)]  # type: ignore[attr-defined]
    assert len(tries) == 2
    assert list(tmp_path.iterdir()) == []


def _weights_progress(seen: list[tuple[str, int, int | None]]) -> list[int]:
    return [done for label, done, _ in seen if label == WEIGHTS_FILE]


def test_a_dropped_download_resumes_where_it_stopped(
    server: http.server.ThreadingHTTPServer,
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
    asked = [rng for path, rng in server.requests if path.endswith(WEIGHTS_FILE)]  # type: ignore[attr-defined]
    assert asked == [None, f"bytes={size // 2}-"]
    done = _weights_progress(seen)
    assert done == sorted(done) and done[-1] == size and size // 2 in done
    assert (directory / WEIGHTS_FILE).read_bytes() == (micro_model_dir / WEIGHTS_FILE).read_bytes()
    assert f"trying again from byte {size // 2}" in caplog.text


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_dropped_download_starts_over_where_the_server_cannot_resume(
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path, reset: bool
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
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
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
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
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
    files = [
        (f"{remote.name}/{name}", file) for remote in remotes for name, file in remote.files.items()
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
        "lm-librispeech-3-gram/lexicon.txt",
        "lm-librispeech-3-gram/lm.bin",
        "lm-librispeech-4-gram/lexicon.txt",
        "lm-librispeech-4-gram/lm.bin",
        "wav2vec2-librispeech/model.pt",
    ]
    pinned = [file.sha256 for _, file in files if file.sha256 is not None]
    assert pinned and all(re.fullmatch("[0-9a-f]{64}", digest) for digest in pinned)


def test_files_that_fail_the_check_are_not_kept(
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    remote = remote_for(micro_model_dir, server.server_address[1], weights=TOKENIZER_FILE)
    with pytest.raises(ModelError, match="the downloaded model 'micro' failed its check"):
        materialize(remote, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_on_the_server_is_reported(
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
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

    from tui_captions.asr.wav2vec2.model_dir import read_wav2vec2_config, read_wav2vec2_weights

    published = tmp_path / "published"
    published.mkdir()
    state = torch.load(wav2vec2_model_dir / WEIGHTS_FILE, weights_only=True)
    for key in ("aux.weight", "aux.bias"):
        rows = state[key]
        state[key] = torch.cat((rows[:1], torch.full_like(rows[:3], 99.0), rows[1:]))
    torch.save(state, published / "w2v.pth")
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Handler, directory=str(published))
    )
    httpd.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
    try:
        remote = dataclasses.replace(
            catalog.WAV2VEC2_LIBRISPEECH,
            base_url=f"http://127.0.0.1:{httpd.server_address[1]}/",
            files={WEIGHTS_FILE: RemoteFile("w2v.pth", None)},
            config=read_wav2vec2_config(wav2vec2_model_dir),
        )
        directory = materialize(remote, tmp_path / "cache")
    finally:
        httpd.shutdown()
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
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Handler, directory=str(published))
    )
    httpd.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    remote = dataclasses.replace(
        catalog.REMOTE_MODELS[AV_MODEL],
        base_url=f"http://127.0.0.1:{httpd.server_address[1]}/",
        files={name: RemoteFile(name, None) for name in AV_MODEL_FILES},  # stand-ins: no sha256
        check=lambda directory: None,
    )
    try:
        directory = materialize(remote, tmp_path / "models")
    finally:
        httpd.shutdown()
    assert json.loads((directory / CONFIG_FILE).read_text())["format"] == AVSR_FORMAT
    assert engine_for(directory) is load_avsr
