"""Model names and the first-use download, against a real HTTP server on loopback."""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest

from tui_captions.asr import catalog
from tui_captions.asr.avsr.engine import FORMAT as AVSR_FORMAT
from tui_captions.asr.avsr.engine import load_avsr
from tui_captions.asr.catalog import RemoteModel, materialize, model_directory
from tui_captions.asr.defaults import AV_MODEL, AV_MODEL_FILES, DEFAULT_MODEL, is_audio_visual
from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE
from tui_captions.asr.emformer.model_dir import (
    STATS_FILE,
    TOKENIZER_FILE,
    load_model_dir,
    read_config,
)
from tui_captions.asr.registry import engine_for
from tui_captions.errors import ModelError


class _Handler(http.server.SimpleHTTPRequestHandler):
    truncate: ClassVar[set[str]] = set()  # paths served with a Content-Length larger than the body

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        name = self.path.rsplit("/", 1)[-1]
        if name in self.truncate:
            body = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@pytest.fixture
def server(micro_model_dir: Path) -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Handler, directory=str(micro_model_dir))
    )
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    _Handler.truncate = set()


def remote_for(micro_model_dir: Path, port: int, weights: str = WEIGHTS_FILE) -> RemoteModel:
    return RemoteModel(
        name="micro",
        base_url=f"http://127.0.0.1:{port}/",
        files={WEIGHTS_FILE: weights, TOKENIZER_FILE: TOKENIZER_FILE, STATS_FILE: STATS_FILE},
        config=read_config(micro_model_dir),
        check=load_model_dir,
    )


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


def test_a_download_that_breaks_off_leaves_nothing(
    server: http.server.ThreadingHTTPServer, micro_model_dir: Path, tmp_path: Path
) -> None:
    _Handler.truncate = {TOKENIZER_FILE}
    with pytest.raises(ModelError, match=f"download of .*{TOKENIZER_FILE}"):
        materialize(remote_for(micro_model_dir, server.server_address[1]), tmp_path)
    assert list(tmp_path.iterdir()) == []


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
    import dataclasses

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
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        remote = dataclasses.replace(
            catalog.WAV2VEC2_LIBRISPEECH,
            base_url=f"http://127.0.0.1:{httpd.server_address[1]}/",
            files={WEIGHTS_FILE: "w2v.pth"},
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
    """What the app says about a model it could not load (its files, fp32) needs this."""
    assert is_audio_visual(AV_MODEL) and not is_audio_visual(DEFAULT_MODEL)
    assert not is_audio_visual(str(micro_model_dir))
    for name in AV_MODEL_FILES:
        (tmp_path / name).touch()
    assert is_audio_visual(str(tmp_path))


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
        sha256={},
        check=lambda directory: None,
    )
    try:
        directory = materialize(remote, tmp_path / "models")
    finally:
        httpd.shutdown()
    assert json.loads((directory / CONFIG_FILE).read_text())["format"] == AVSR_FORMAT
    assert engine_for(directory) is load_avsr
