"""Fetching a model's file on first use: one file, with progress, or one clear error.

Shared by every kind of model the app downloads (recognizers, language models,
punctuation); the caller stages files and checks them by loading.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tui_captions.errors import ModelError

# (file label, bytes done, bytes in all or None when the server does not say)
DownloadProgress = Callable[[str, int, int | None], None]

LOCAL_MODEL = "--model PATH pointing at a local model directory (see README, 'Local models')"


def download(
    url: str,
    dest: Path,
    label: str,
    progress: DownloadProgress | None,
    name: str,
    local: str = LOCAL_MODEL,
) -> None:
    """Save ``url`` as ``dest``; ``name`` and ``local`` (what to use offline) go in errors."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response, dest.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress:
                progress(label, done, total)
            while block := response.read(1 << 20):
                out.write(block)
                done += len(block)
                if progress:
                    progress(label, done, total)
    except http.client.HTTPException as exc:  # e.g. the connection closed mid-file
        raise ModelError(
            f"the download of {url} broke off ({type(exc).__name__}); try again"
        ) from None
    except urllib.error.HTTPError as exc:
        raise ModelError(
            f"could not download the model {name!r}: {url} answered "
            f"{exc.code} {exc.reason}; try again later, or run with {local}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(
            f"could not download the model {name!r} from {url} ({reason}). "
            "Models are fetched once, on first use, and need the internet; "
            f"offline, run with {local}."
        ) from None
    if total is not None and done != total:
        raise ModelError(
            f"the download of {url} stopped early ({done} of {total} bytes); try again"
        )
