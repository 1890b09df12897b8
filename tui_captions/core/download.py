"""Fetching a model's file on first use: one file, with progress, checked, or one clear error.

Shared by every kind of model the app downloads (recognizers, language models,
punctuation): :func:`cached_directory` stages a model's files and checks them
before they take the model's name; :func:`download` fetches one file;
:func:`unpack_release` opens a model released as one archive of its directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import re
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO

from tui_captions.errors import ModelError

# (file label, bytes done, bytes in all or None when the server does not say)
DownloadProgress = Callable[[str, int, int | None], None]

_log = logging.getLogger(__name__)

# A dropped connection is worth a second try; a second drop is a network to report.
_TRIES = 2


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


def check_download(name: str, check: Callable[[Path], object], staged: Path, offline: str) -> None:
    """Load what was staged as its user will: a bad download never takes the name."""
    try:
        check(staged)
    except ModelError as exc:
        raise ModelError(
            f"the downloaded model {name!r} failed its check ({exc}); "
            f"try again, or run with {offline}"
        ) from None


def download(
    url: str,
    dest: Path,
    label: str,
    progress: DownloadProgress | None,
    name: str,
    local: str,
    *,
    sha256: str | None,
) -> None:
    """Save ``url`` as ``dest``; ``name`` and ``local`` (what to use offline) go in errors.

    ``sha256`` is the published file's digest (None: not pinned yet): every caller states it,
    and a file that differs is deleted, never used. A connection that drops mid-file is
    tried once more (big files over flaky links); a second drop is the error."""
    try:
        with dest.open("wb") as out:
            transfer = _Transfer(out, label, progress)
            _fetch(url, transfer)
    except _DroppedError as exc:
        reason = str(exc)
        raise DownloadError(
            f"the download of {url} {reason}, on a second try too; try again later", reason
        ) from None
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
    actual = transfer.digest.hexdigest()
    if sha256 is not None and actual != sha256:
        dest.unlink()
        reason = "not the published file"
        raise DownloadError(
            f"the downloaded {label} of {name!r} ({url}) is {reason}: sha256 {actual}, "
            f"expected {sha256}; it was deleted, try again",
            reason,
        )
    _log.debug("downloaded %s: %d bytes, sha256 %s", url, transfer.done, actual)


class _DroppedError(Exception):
    """The connection went away mid-file (closed early, reset, a short read): worth a retry,
    unlike an HTTP error or no network at all."""


class _Transfer:
    """One file's bytes as they arrive, over one try or two: how far it got, and its digest
    (kept across a resumed try, started afresh with the file when the server starts over)."""

    def __init__(self, out: BinaryIO, label: str, progress: DownloadProgress | None) -> None:
        self.out = out
        self.label = label
        self.progress = progress
        self.done = 0
        self.total: int | None = None
        self.digest = hashlib.sha256()

    def receive(self, response: http.client.HTTPResponse) -> None:
        """Append the response's body: the rest of the file if it answers our Range request,
        else the whole file from the start."""
        if response.status == HTTPStatus.PARTIAL_CONTENT:
            if _range_start(response) != self.done:
                raise _DroppedError(
                    f"resumed at the wrong byte ({response.headers['Content-Range']})"
                )
        else:
            self.out.seek(0)
            self.out.truncate()
            self.digest = hashlib.sha256()
            self.done = 0
            length = response.headers.get("Content-Length")
            self.total = int(length) if length and length.isdigit() else None
        self._report()
        while block := response.read(1 << 20):
            self.out.write(block)
            self.digest.update(block)
            self.done += len(block)
            self._report()
        if self.total is not None and self.done != self.total:
            raise _DroppedError(f"stopped early ({self.done} of {self.total} bytes)")

    def _report(self) -> None:
        if self.progress:
            self.progress(self.label, self.done, self.total)


def _fetch(url: str, transfer: _Transfer) -> None:
    """Fill ``transfer`` from ``url``, retrying a dropped connection once: resumed where it
    stopped when the server takes a Range request, from the start when it does not."""
    for tries_left in reversed(range(_TRIES)):
        request = urllib.request.Request(url)
        if transfer.done:
            request.add_header("Range", f"bytes={transfer.done}-")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                length = response.headers.get("Content-Length", "unknown")
                _log.debug("downloading %s from byte %d: %s bytes", url, transfer.done, length)
                transfer.receive(response)
            return
        except (_DroppedError, http.client.HTTPException, urllib.error.URLError, OSError) as exc:
            why = _why_dropped(exc)
            if why is None:
                raise
            if not tries_left:
                raise _DroppedError(why) from None
            _log.debug("the download of %s %s; trying again from byte %d", url, why, transfer.done)


def _why_dropped(exc: BaseException) -> str | None:
    """What dropped the connection, or None for a failure a retry would not mend (an HTTP
    error, no network)."""
    if isinstance(exc, urllib.error.HTTPError):
        return None
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, _DroppedError):
        return str(cause)
    if isinstance(cause, http.client.HTTPException | ConnectionResetError | ConnectionAbortedError):
        return f"broke off ({type(cause).__name__})"
    return None


def _range_start(response: http.client.HTTPResponse) -> int | None:
    """The first byte of a partial response ("bytes 500-999/1000" -> 500)."""
    found = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(found[1]) if found else None


def unpack_release(archive: Path, into: Path) -> None:
    """The model directory inside ``archive`` (a ``.tar.bz2`` of one folder, as sherpa-onnx
    releases them), its files placed in ``into`` as released; the archive is deleted.

    Every member is checked before anything is written: a path outside the folder, an
    absolute path, a link that points outside it, or a device refuses the whole archive in
    one line naming the member (a released model never holds one)."""
    unpacked = into / ".unpacked"
    unpacked.mkdir()
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                if why := _escapes(member, unpacked.resolve()):
                    raise ModelError(
                        f"the downloaded archive {archive.name} holds {member.name!r}, {why}; "
                        "it was not unpacked: it is not a released model"
                    )
            tar.extractall(unpacked, members, **_DATA_FILTER)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ModelError(f"the downloaded archive {archive.name} cannot be read ({exc})") from None
    entries = list(unpacked.iterdir())
    released = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
    for entry in released.iterdir():
        entry.rename(into / entry.name)
    shutil.rmtree(unpacked)
    archive.unlink()


# Python's own guard as well, where it has one (3.10.12, 3.11.4 and later).
_DATA_FILTER: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def _escapes(member: tarfile.TarInfo, root: Path) -> str | None:
    """Why ``member`` would write, or point, outside ``root``, or is a device; None if not."""
    if Path(member.name).is_absolute():
        return "an absolute path"
    where = (root / member.name).resolve()
    if not where.is_relative_to(root):
        return "a path outside its folder"
    if member.issym():
        target = where.parent / member.linkname
    elif member.islnk():
        target = root / member.linkname  # a hard link names a member of the archive
    elif member.isfile() or member.isdir():
        return None
    else:
        return "a device or other special file"
    if Path(member.linkname).is_absolute() or not target.resolve().is_relative_to(root):
        return f"a link to {member.linkname}, outside its folder"
    return None
