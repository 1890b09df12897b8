"""User settings: a small TOML file in the user config dir, remembered across runs.

What the app changes interactively (the theme) and what a user sets once for
every command (``quantize``); a broken file never stops anything, it is
reported once and defaults are used. Command-line options win over the file.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tui_captions import paths
from tui_captions.asr.defaults import DEFAULT_QUANTIZE, QUANTIZE_MODES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SETTINGS_FILE = "settings.toml"


@dataclass(frozen=True)
class Settings:
    theme: str | None = None
    quantize: str | None = None

    def effective_quantize(self, option: str | None, compute: str) -> str:
        """The command line's choice, else the file's, else the default for the device.

        int8 is CPU-only, so on CUDA the default is the stored weights.
        """
        return option or self.quantize or (DEFAULT_QUANTIZE if compute == "cpu" else "none")


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
    theme, quantize = data.get("theme"), data.get("quantize")
    if theme is not None and not isinstance(theme, str):
        return Settings(), f"settings file {path} ignored: 'theme' must be a string"
    if quantize is not None and quantize not in QUANTIZE_MODES:
        choices = " or ".join(f'"{mode}"' for mode in QUANTIZE_MODES)
        return Settings(), f"settings file {path} ignored: 'quantize' must be {choices}"
    return Settings(theme=theme, quantize=quantize), None


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings atomically; returns a warning instead of raising if that fails."""
    path = path or settings_path()
    # A JSON string is a valid TOML basic string.
    lines = [
        f"{key} = {json.dumps(value)}"
        for key, value in (("theme", settings.theme), ("quantize", settings.quantize))
        if value is not None
    ]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        return f"settings not saved to {path}: {exc.strerror or exc}"
    return None
