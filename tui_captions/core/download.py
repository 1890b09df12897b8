"""Fetching a model's file on first use: one file, with progress, or one clear error.

Shared by every kind of model the app downloads (recognizers, language models,
punctuation): :func:`cached_directory` stages a model's files and checks them
before they take the model's name; :func:`download` fetches one file.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tui_captions.errors import ModelError

# (file label, bytes done, bytes in all or None when the server does not say)
DownloadProgress = Callable[[str, int, int | None], None]

_log = logging.getLogger(__name__)


class DownloadError(ModelError):
    """A file that could not be fetched. ``reason`` is the short why ("404 Not Found"), for
    callers that have a fallback and only mention it (the message says what to do)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def cached_directory(models_root: Path, name: str, fill: Callable[[Path], None]) -> Path:
    """``models_root/name``, made the first time by ``fill`` (download and check, raising
    :class:`ModelError`) in a staging folder that is renamed to it whole: a crash or a
    failed check leaves no half model behind, and of two processes the first one wins."""
    target = models_root / name
    if target.is_dir():
        return target
    models_root.mkdir(parents=True, exist_ok=True)
    staging = models_root / f".{name}.download-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        fill(staging)
        with contextlib.suppress(OSError):  # another process finished first: use its copy
            staging.rename(target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download(
    url: str,
    dest: Path,
    label: str,
    progress: DownloadProgress | None,
    name: str,
    local: str,
) -> None:
    """Save ``url`` as ``dest``; ``name`` and ``local`` (what to use offline) go in errors."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response, dest.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            _log.debug("downloading %s (%s bytes) to %s", url, total or "unknown", dest)
            done = 0
            if progress:
                progress(label, done, total)
            while block := response.read(1 << 20):
                out.write(block)
                done += len(block)
                if progress:
                    progress(label, done, total)
    except http.client.HTTPException as exc:  # e.g. the connection closed mid-file
        reason = f"broke off ({type(exc).__name__})"
        raise DownloadError(f"the download of {url} {reason}; try again", reason) from None
    except urllib.error.HTTPError as exc:
        reason = f"{exc.code} {exc.reason}"
        raise DownloadError(
            f"could not download the model {name!r}: {url} answered {reason}; try again "
            f"later, or run with {local}",
            reason,
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = str(getattr(exc, "reason", None) or exc)
        raise DownloadError(
            f"could not download the model {name!r} from {url} ({reason}). Models are "
            f"fetched once, on first use, and need the internet; offline, run with {local}.",
            reason,
        ) from None
    if total is not None and done != total:
        reason = f"stopped early ({done} of {total} bytes)"
        raise DownloadError(f"the download of {url} {reason}; try again", reason)
    _log.debug("downloaded %s: %d bytes", url, done)
