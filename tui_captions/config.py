"""User settings: a small TOML file in the user config dir, remembered across runs.

Only what the app changes interactively lives here (today: the theme); a
broken file never stops the app, it is reported once and defaults are used.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tui_captions import paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SETTINGS_FILE = "settings.toml"


@dataclass(frozen=True)
class Settings:
    theme: str | None = None


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """The saved settings and, if the file could not be used, a one-line warning."""
    path = path or settings_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings(), None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Settings(), f"settings file {path} ignored: {exc}"
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        return Settings(), f"settings file {path} ignored: 'theme' must be a string"
    return Settings(theme=theme), None


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings atomically; returns a warning instead of raising if that fails."""
    path = path or settings_path()
    # A JSON string is a valid TOML basic string.
    lines = [] if settings.theme is None else [f"theme = {json.dumps(settings.theme)}"]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        return f"settings not saved to {path}: {exc.strerror or exc}"
    return None
