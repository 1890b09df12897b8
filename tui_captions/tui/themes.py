"""Theme files -> Textual themes.

A theme file is TOML: ``name``, ``dark``, optional ``text_alpha``, a
``[colors]`` table (Textual's theme colours) and a ``[variables]`` table of
app variables (:data:`APP_VARIABLES`) used by the widgets' CSS. Built-in files
ship in the ``tui_captions.themes`` package (the top-level ``themes/`` folder);
users add their own as ``*.toml`` in ``<config dir>/themes``. A file that
cannot be used is reported and skipped, never fatal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from tui_captions import paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_THEME = "captions-dark"
THEME_SUFFIX = ".toml"

COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)

# App variable -> the Textual colour variable a theme without it falls back to.
APP_VARIABLES = {
    "partial-text": "text-muted",
    "meter-low": "success",
    "meter-mid": "warning",
    "meter-high": "error",
    "latency-good": "success",
    "latency-fair": "warning",
    "latency-bad": "error",
    # Meeting mode: each source's label in its own colour, in the order they were added.
    "source-1": "primary",
    "source-2": "accent",
    "source-3": "success",
    "source-4": "secondary",
}
SOURCE_COLOURS = 4


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the problem."""


@dataclass
class ThemeSet:
    """Themes in cycling order (built-ins first) and the problems met loading them."""

    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [theme.name for theme in self.themes]


def user_themes_dir() -> Path:
    return paths.config_dir() / "themes"


def builtin_theme_files() -> list[Path]:
    """The theme files inside the installed package."""
    folder = resources.files("tui_captions.themes")
    return sorted(
        Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(THEME_SUFFIX)
    )


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"theme file {path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"theme file {path}: not valid TOML ({exc})") from None
    try:
        return theme_from_dict(data)
    except ThemeFileError as exc:
        raise ThemeFileError(f"theme file {path}: {exc}") from None


def theme_from_dict(data: dict[str, Any]) -> Theme:
    unknown = set(data) - {"name", "dark", "text_alpha", "colors", "variables"}
    if unknown:
        raise ThemeFileError(f"unknown keys {', '.join(sorted(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError("'name' must be a non-empty string")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError("'dark' must be true or false")
    text_alpha = data.get("text_alpha", 0.95)
    if not isinstance(text_alpha, (int, float)) or not 0 < text_alpha <= 1:
        raise ThemeFileError("'text_alpha' must be a number in (0, 1]")
    colors = _color_table(data.get("colors", {}), "colors", allowed=COLOR_KEYS)
    if "primary" not in colors:
        raise ThemeFileError("[colors] needs at least 'primary'")
    variables = _color_table(data.get("variables", {}), "variables", allowed=None)
    return Theme(
        name=name,
        primary=colors["primary"],
        secondary=colors.get("secondary"),
        warning=colors.get("warning"),
        error=colors.get("error"),
        success=colors.get("success"),
        accent=colors.get("accent"),
        foreground=colors.get("foreground"),
        background=colors.get("background"),
        surface=colors.get("surface"),
        panel=colors.get("panel"),
        boost=colors.get("boost"),
        dark=dark,
        text_alpha=float(text_alpha),
        variables=variables,
    )


def _color_table(table: object, title: str, allowed: Iterable[str] | None) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ThemeFileError(f"[{title}] must be a table")
    if allowed is not None:
        unknown = set(table) - set(allowed)
        if unknown:
            raise ThemeFileError(f"[{title}] has unknown keys {', '.join(sorted(unknown))}")
    result: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise ThemeFileError(f"[{title}] {key} must be a colour string")
        try:
            Color.parse(value)
        except ColorParseError:
            raise ThemeFileError(f"[{title}] {key} = {value!r} is not a colour") from None
        result[key] = value
    return result


def discover_themes(user_dir: Path | None = None) -> ThemeSet:
    """Built-in themes, then the user's; a user theme may replace a built-in of the same name."""
    found = ThemeSet()
    by_name: dict[str, Theme] = {}
    user_files: list[Path] = []
    folder = user_dir or user_themes_dir()
    if folder.is_dir():
        user_files = sorted(folder.glob(f"*{THEME_SUFFIX}"))
    for path in [*builtin_theme_files(), *user_files]:
        try:
            theme = load_theme_file(path)
        except ThemeFileError as exc:
            found.problems.append(str(exc))
            continue
        by_name[theme.name] = theme
    found.themes = list(by_name.values())
    return found


def app_variable_defaults(color_variables: dict[str, str]) -> dict[str, str]:
    """Values for the app variables a theme leaves out, taken from its own colours."""
    return {name: color_variables[source] for name, source in APP_VARIABLES.items()}
