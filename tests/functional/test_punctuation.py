"""Punctuation models: the runtime against sherpa-onnx's, the loader, the download, the fallback.

The published model cannot be downloaded here: its loader and download are
tested on models made here with the same contract (inputs, outputs,
metadata, ``bpe.vocab``), served by a real HTTP server on loopback as the
published ``.tar.bz2``. The bundled model (trained here) is held to what
sherpa-onnx, its authors' runtime, makes of the same files.
"""

from __future__ import annotations

import http.server
import shutil
import tarfile
import threading
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import onnx
import pytest

from tests.punctuation_models import make_punctuation_model
from tui_captions.errors import ModelError
from tui_captions.text.catalog import bundled_dir, open_post_processor, published_dir
from tui_captions.text.names import BUNDLED, NO_MODEL, PUBLISHED
from tui_captions.text.postprocess import Punctuator, RuleCaser, TextContext
from tui_captions.text.punctuation import PunctuationModel, written

TEXTS = [
    "what are you doing here i thought you left for the city yesterday",
    "well we shall see said the old man and he went back into the house",
    "is it true that the king has no heir and the council meets tonight",
    "i don't know why but the dog barked all night long and nobody slept",
    "caf\u00e9 and na\u00efve words with 42 digits and x-ray and o'brien",  # outside the vocabulary
    " ".join(["the river runs to the sea and the sea never fills"] * 30),  # several rows
]


@pytest.fixture(scope="module")
def made_here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with warnings.catch_warnings():  # torch's exporter on LSTMs
        warnings.simplefilter("ignore")
        return make_punctuation_model(tmp_path_factory.mktemp("punct") / "made-here")


def sherpa(directory: Path) -> object:
    import sherpa_onnx

    model = sherpa_onnx.OnlinePunctuationModelConfig(
        cnn_bilstm=str(directory / "model.onnx"), bpe_vocab=str(directory / "bpe.vocab")
    )
    return sherpa_onnx.OnlinePunctuation(sherpa_onnx.OnlinePunctuationConfig(model_config=model))


@pytest.mark.parametrize("which", ["bundled", "made-here"])
def test_the_runtime_writes_what_sherpa_onnx_writes(which: str, made_here: Path) -> None:
    directory = bundled_dir() if which == "bundled" else made_here
    ours, theirs = PunctuationModel(directory), sherpa(directory)
    for text in TEXTS:
        words = text.split()
        mine = " ".join(written(words, ours.labels(words)))
        theirs_text = theirs.add_punctuation_with_case(text)  # type: ignore[attr-defined]
        if text.isascii():
            assert mine == theirs_text
        else:  # sherpa-onnx raises letters byte by byte: "é" stays; here it becomes "É"
            assert mine.lower() == theirs_text.lower()
        assert mine.lower().replace(",", "").replace(".", "").replace("?", "").split() == [
            w.lower() for w in words
        ]


def test_the_bundled_model_punctuates_and_capitalises() -> None:
    punctuator = Punctuator(PunctuationModel(bundled_dir()))
    before = TextContext()
    shown = []
    for line in ("where are you going tonight", "i am going to the river with my brother"):
        shown.append(punctuator.final(line, before))
        before.add(line, shown[-1])
    assert shown[0].startswith("Where") and shown[0].endswith("?")
    assert shown[1].startswith("I am") and shown[1][-1] in ".?"


def broken(made_here: Path, tmp_path: Path, how: str) -> Path:
    target = tmp_path / how
    shutil.copytree(made_here, target)
    model = target / "model.onnx"
    if how == "truncated":
        model.write_bytes(model.read_bytes()[:4000])
    elif how == "no-vocab":
        (target / "bpe.vocab").unlink()
    elif how == "binary-vocab":
        (target / "bpe.vocab").write_bytes(b"\x00\xff" * 100)
    else:
        graph = onnx.load(str(model))
        if how == "metadata":
            del graph.metadata_props[:]
        elif how == "inputs":
            graph.graph.input[0].name = "tokens"
            for node in graph.graph.node:
                node.input[:] = ["tokens" if n == "token_ids" else n for n in node.input]
        onnx.save(graph, str(model))
    return target


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("truncated", "not a model ONNX Runtime can load"),
        ("no-vocab", "not a sentencepiece vocabulary"),
        ("binary-vocab", "not a sentencepiece vocabulary"),
        ("metadata", "metadata does not name the classes"),
        ("inputs", "are not a punctuation model's"),
    ],
)
def test_a_broken_model_is_one_warning_and_sentence_case(
    made_here: Path, tmp_path: Path, how: str, message: str
) -> None:
    directory = broken(made_here, tmp_path, how)
    with pytest.raises(ModelError, match=message):
        PunctuationModel(directory)
    notices: list[str] = []
    post = open_post_processor(str(directory), notices.append)
    assert isinstance(post, RuleCaser) and len(notices) == 1 and message in notices[0]
    assert post.final("i think so", TextContext()) == "I think so"


def test_names_none_bundled_and_a_missing_folder(tmp_path: Path) -> None:
    notices: list[str] = []
    assert isinstance(open_post_processor(NO_MODEL, notices.append), RuleCaser)
    bundled = open_post_processor(BUNDLED, notices.append)
    assert isinstance(bundled, Punctuator) and bundled.name == bundled_dir().name
    assert notices == []
    missing = open_post_processor(str(tmp_path / "nowhere"), notices.append)
    assert isinstance(missing, RuleCaser) and "not a punctuation model" in notices[0]


def published_archive(made_here: Path, folder: Path) -> Path:
    """The published release's layout: one folder with both models and the vocabulary."""
    inner = folder / "sherpa-onnx-online-punct-en-2024-08-06"
    inner.mkdir(parents=True)
    for name, source in (("model.onnx", "model.onnx"), ("model.int8.onnx", "model.onnx")):
        shutil.copyfile(made_here / source, inner / name)
    shutil.copyfile(made_here / "bpe.vocab", inner / "bpe.vocab")
    (inner / "README.md").write_text("test\n")
    archive = folder / "punct.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        tar.add(inner, arcname=inner.name)
    return archive


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(tmp_path / "served"))
    )
    (tmp_path / "served").mkdir()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()


def test_the_published_model_downloads_once_with_progress_and_is_checked(
    made_here: Path, tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    base, requests = server
    archive = published_archive(made_here, tmp_path / "release")
    shutil.copyfile(archive, tmp_path / "served" / "punct.tar.bz2")
    seen: list[tuple[str, int, int | None]] = []
    models = tmp_path / "models"
    directory = published_dir(models, lambda *update: seen.append(update), f"{base}/punct.tar.bz2")
    assert directory == models / PUBLISHED
    assert sorted(p.name for p in directory.iterdir()) == ["bpe.vocab", "model.onnx"]
    assert sorted(p.name for p in models.iterdir()) == [PUBLISHED]  # no staging left
    assert seen[-1][1] == seen[-1][2] == archive.stat().st_size
    notices: list[str] = []
    post = open_post_processor(None, notices.append, None, models, f"{base}/punct.tar.bz2")
    assert isinstance(post, Punctuator) and post.name == PUBLISHED and notices == []
    assert len(requests) == 1  # on disk now: not fetched again


def test_offline_the_bundled_model_stands_in_with_one_notice(
    made_here: Path, tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    base, _ = server  # serves nothing: the archive is not there (404), as when offline
    notices: list[str] = []
    post = open_post_processor(PUBLISHED, notices.append, None, tmp_path, f"{base}/none.tar.bz2")
    assert isinstance(post, Punctuator) and post.name == bundled_dir().name
    # Every offline command says it: one short line, with the why and what stands in.
    [notice] = notices
    assert len(notice) < 100 and "404" in notice and f"bundled {BUNDLED}" in notice, notice
    (tmp_path / "served" / "bad.tar.bz2").write_bytes(b"BZh91AY&SY" + b"\x00" * 50)
    with pytest.raises(ModelError, match="archive cannot be read"):
        published_dir(tmp_path / "m", None, f"{base}/bad.tar.bz2")
    assert not (tmp_path / "m" / PUBLISHED).exists()
