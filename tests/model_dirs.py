"""Helpers for tests that break model directories on purpose."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_captions.asr.directory import CONFIG_FILE


def copy_model(source: Path, tmp_path: Path) -> Path:
    """A copy to break, leaving the session's fixture intact."""
    target = tmp_path / "model"
    shutil.copytree(source, target)
    return target


def edit_config(directory: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Apply ``change`` to the parsed config.json and write it back."""
    path = directory / CONFIG_FILE
    blob = json.loads(path.read_text())
    change(blob)
    path.write_text(json.dumps(blob))
