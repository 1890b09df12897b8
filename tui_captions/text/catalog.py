"""Punctuation model names -> a post-processor: the published model, the bundled one, or rules.

``edge-punct-en`` (the default) is sherpa-onnx's English Edge-Punct-Casing
model, downloaded on first use into the models folder (the archive's
``model.onnx`` and ``bpe.vocab``), checked by loading and labelling a line,
then moved into place. Until it is on disk (offline: one notice) the model
trained by this project and shipped inside the package, ``tiny-en``, stands
in. ``none`` keeps the rules (sentence case, "I"); a path names a model
directory of the same format. A model that cannot be used is one warning, and
captions go on with the rules: punctuation never stops captioning.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from tui_captions import paths
from tui_captions.core.download import (
    DownloadError,
    DownloadProgress,
    cached_directory,
    download,
)
from tui_captions.core.writing import Writing
from tui_captions.errors import ModelError
from tui_captions.text.names import BUNDLED, DEFAULT_PUNCTUATION, NO_MODEL, PUBLISHED
from tui_captions.text.postprocess import (
    Punctuator,
    RuleCaser,
    TextContext,
    TextPostProcessor,
    for_writing,
)
from tui_captions.text.punctuation import MODEL_FILES, VOCAB_FILE, PunctuationModel

PUBLISHED_URL = (
    "https://github.com/k2-fsa/sherpa-onnx/releases/download/punctuation-models/"
    "sherpa-onnx-online-punct-en-2024-08-06.tar.bz2"
)
PUBLISHED_SHA256: str | None = None  # not pinned yet: docs/models.md, 'Checked downloads'
LOCAL_PUNCTUATION = "--punctuation PATH pointing at a local model directory, or tiny-en"

Notice = Callable[[str], None]


def bundled_dir() -> Path:
    """The model this project trained, inside the package."""
    return Path(str(resources.files("tui_captions.text") / "punct-en-tiny"))


def open_post_processor(
    spec: str | None,
    notice: Notice,
    progress: DownloadProgress | None = None,
    models_root: Path | None = None,
    url: str = PUBLISHED_URL,
    writing: Writing | None = None,
) -> TextPostProcessor:
    """What ``--punctuation`` (or the settings file) names, for a recognizer that writes as
    ``writing`` says (default: English, lower case, unpunctuated): a model that punctuates,
    or one of another language, loads no punctuation model. Never raises: a model that
    cannot be had or used is a ``notice`` and the next best thing is returned."""
    return for_writing(
        writing or Writing(), lambda: _english(spec, notice, progress, models_root, url)
    )


def _english(
    spec: str | None,
    notice: Notice,
    progress: DownloadProgress | None,
    models_root: Path | None,
    url: str,
) -> TextPostProcessor:
    spec = spec or DEFAULT_PUNCTUATION
    if spec == NO_MODEL:
        return RuleCaser()
    try:
        return Punctuator(PunctuationModel(_directory(spec, notice, progress, models_root, url)))
    except ModelError as exc:
        notice(f"punctuation is off ({exc}); lines get sentence case only")
        return RuleCaser()


def _directory(
    spec: str,
    notice: Notice,
    progress: DownloadProgress | None,
    models_root: Path | None,
    url: str,
) -> Path:
    if spec == BUNDLED:
        return bundled_dir()
    if spec != PUBLISHED:
        return Path(spec).expanduser()
    try:
        return published_dir(models_root or paths.models_dir(), progress, url)
    except ModelError as exc:
        # Every offline command says this: one short line (the URL and the how-to are noise).
        why = exc.reason if isinstance(exc, DownloadError) else str(exc)
        notice(f"punctuation: {PUBLISHED} not downloaded ({why}); the bundled {BUNDLED} meanwhile")
        return bundled_dir()


def published_dir(models_root: Path, progress: DownloadProgress | None, url: str) -> Path:
    """The published model's directory, downloaded and checked the first time."""

    def fill(staging: Path) -> None:
        archive = staging / "archive.tar.bz2"
        label = f"{PUBLISHED} (punctuation)"
        sha256 = PUBLISHED_SHA256 if url == PUBLISHED_URL else None
        download(url, archive, label, progress, PUBLISHED, LOCAL_PUNCTUATION, sha256=sha256)
        _unpack(archive, staging)
        archive.unlink()
        try:
            Punctuator(PunctuationModel(staging)).final("is it working", TextContext())
        except ModelError as exc:
            raise ModelError(f"the downloaded {PUBLISHED} failed its check ({exc})") from None

    return cached_directory(models_root, PUBLISHED, fill)


def _unpack(archive: Path, into: Path) -> None:
    """The model and vocabulary files from the archive (whatever folder holds them)."""
    wanted = {MODEL_FILES[0], VOCAB_FILE}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if member.isfile() and name in wanted and (data := tar.extractfile(member)):
                    with data, (into / name).open("wb") as out:
                        shutil.copyfileobj(data, out)
                    wanted.discard(name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ModelError(f"the downloaded archive cannot be read ({exc})") from None
    if wanted:
        raise ModelError(f"the downloaded archive has no {', '.join(sorted(wanted))}")
