"""Names as people read them on a narrow line."""

from __future__ import annotations

from pathlib import PurePath


def short_name(label: str) -> str:
    """A file's or a model directory's name instead of its whole path (URLs and device
    names stay as they are): the bar has room for the state, the model and its compute."""
    if "://" in label or "/" not in label:
        return label
    return PurePath(label).name or label
