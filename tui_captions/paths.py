"""Where captions-tui keeps things on this platform (XDG on Linux)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "captions-tui"


def cache_dir() -> Path:
    """Downloaded models: safe to delete, re-created on demand."""
    return Path(platformdirs.user_cache_dir(APP_NAME))


def models_dir() -> Path:
    return cache_dir() / "models"


def data_dir() -> Path:
    """Session journals and recordings: the user's data, never deleted by us."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    """Settings and user themes."""
    return Path(platformdirs.user_config_dir(APP_NAME))


def state_dir() -> Path:
    """What the program keeps about its own runs (the log): neither settings nor user data."""
    return Path(platformdirs.user_state_dir(APP_NAME))


def log_file() -> Path:
    return state_dir() / f"{APP_NAME}.log"
