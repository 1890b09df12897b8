"""User settings: a small TOML file in the user config dir, remembered across runs.

What the app changes interactively (the theme) and what a user sets once for
every command (``quantize``); a broken file never stops anything, it is
reported once and defaults are used. Command-line options win over the file.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import tomlkit
import tomlkit.exceptions

from tui_captions import paths
from tui_captions.asr.defaults import COMPUTE_DEVICES, DEFAULT_QUANTIZE, QUANTIZE_MODES
from tui_captions.asr.engine import DecodeOptions, RunOptions
from tui_captions.asr.hotwords import (
    DEFAULT_HOTWORD_SCORE,
    Hotword,
    parse_hotwords,
    read_hotwords_file,
)
from tui_captions.core.watch import parse_watch

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SETTINGS_FILE = "settings.toml"
SECONDS_KEYS = ("endpoint_silence", "max_segment", "clear_after")
DEFAULT_STRIP_LINES = 3
T = TypeVar("T", bound=str)


@dataclass(frozen=True)
class Settings:
    theme: str | None = None
    quantize: str | None = None
    endpoint_silence: float | None = None
    max_segment: float | None = None
    clear_after: float | None = None  # the caption strip empties after this much quiet
    strip_lines: int | None = None  # rows of text in the caption strip
    watch: tuple[str, ...] | None = None  # watch-words and phrases, lower-case
    watch_bell: bool | None = None  # None: ring the terminal bell on a watch-word
    punctuation: str | None = None  # a punctuation model's name or directory, or "none"
    hotwords: tuple[str, ...] | None = None  # phrases the search prefers ("phrase :score")
    hotword_score: float | None = None  # their bonus per token
    watch_hotwords: bool | None = None  # None: watch-words are hotwords too
    path: Path | None = field(default=None, compare=False)  # the file read: errors name it

    def run_options(self, threads: int, quantize: str | None, compute: str) -> RunOptions:
        """How to run the model, from the command line's choices and this file.

        Quantization: the command line's, else the file's, else the default for
        the device (int8 is CPU-only, so on CUDA the default is the stored weights).
        """
        chosen = quantize or self.quantize or (DEFAULT_QUANTIZE if compute == "cpu" else "none")
        return RunOptions(
            threads, _one_of(chosen, QUANTIZE_MODES), _one_of(compute, COMPUTE_DEVICES)
        )

    def watch_words(self, option: str | None) -> tuple[str, ...]:
        """``--watch`` if given, else the file's list."""
        return parse_watch(option) if option is not None else self.watch or ()

    def decode_options(
        self,
        beam: int,
        endpoint_silence: float | None,
        max_segment: float | None,
        decoder: str | None = None,
        lm: str | None = None,
        hotwords: tuple[Hotword, ...] = (),
    ) -> DecodeOptions:
        """How each stream decodes: the command line's endpoints, else the file's, else the
        defaults; a CTC model's decoder and language model as the command line names them."""
        defaults = DecodeOptions()
        return DecodeOptions(
            beam,
            endpoint_silence or self.endpoint_silence or defaults.endpoint_silence_s,
            max_segment or self.max_segment or defaults.max_segment_s,
            decoder,
            lm,
            hotwords,
        )

    def hotword_list(self, choice: HotwordChoice, watch_option: str | None) -> tuple[Hotword, ...]:
        """``--hotwords`` (else the file's list), ``--hotwords-file`` and the watch-words
        (``--watch``, else the file's; unless the user says not), each phrase once, each
        knowing where it was given; :class:`UserError` for a bad file or score."""
        score = choice.score or self.hotword_score or DEFAULT_HOTWORD_SCORE
        if choice.phrases is not None:
            found = parse_hotwords(choice.phrases, score)
        else:
            found = parse_hotwords(",".join(self.hotwords or ()), score, self.key("hotwords"))
        if choice.file is not None:
            found += read_hotwords_file(choice.file, score)
        if choice.watch_too and self.watch_hotwords is not False:
            origin = "--watch" if watch_option is not None else self.key("watch")
            found += [Hotword(word, score, origin) for word in self.watch_words(watch_option)]
        unique: dict[str, Hotword] = {}
        for hotword in found:
            unique.setdefault(hotword.phrase, hotword)
        return tuple(unique.values())

    def punctuation_choice(
        self, option: str | None, notice: Callable[[str], None]
    ) -> tuple[str | None, Callable[[str], None]]:
        """The punctuation model ``--punctuation`` names, else the file's, and ``notice`` for
        its problems: naming the file and key when the choice is the file's."""
        if option is not None or self.punctuation is None:
            return option, notice
        where = self.key("punctuation")
        return self.punctuation, lambda text: notice(f"{where}: {text}")

    def key(self, name: str) -> str:
        """Where a value came from, for messages: the settings file and the key in it."""
        return f"settings file {self.path or settings_path()}, '{name}'"


@dataclass(frozen=True)
class HotwordChoice:
    """What the command line said about hotwords (None: the settings file's)."""

    phrases: str | None = None  # --hotwords
    file: Path | None = None  # --hotwords-file
    score: float | None = None  # --hotword-score
    watch_too: bool = True  # not --no-watch-hotwords


def _one_of(value: str, choices: tuple[T, ...]) -> T:
    """``value`` as the Literal type of ``choices`` (the parsers and this file checked it)."""
    for choice in choices:
        if value == choice:
            return choice
    raise ValueError(f"{value!r} is not one of {choices}")


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
    seconds: dict[str, float | None] = {}
    for key in SECONDS_KEYS:
        value = data.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < value < math.inf  # TOML has inf and nan; a line can't wait forever
        ):
            return (
                Settings(),
                f"settings file {path} ignored: '{key}' must be seconds above 0 and finite",
            )
        seconds[key] = None if value is None else float(value)
    watch = data.get("watch")
    if watch is not None and (
        not isinstance(watch, list) or not all(isinstance(w, str) and w.strip() for w in watch)
    ):
        return Settings(), f"settings file {path} ignored: 'watch' must be a list of words"
    bell = data.get("watch_bell")
    if bell is not None and not isinstance(bell, bool):
        return Settings(), f"settings file {path} ignored: 'watch_bell' must be true or false"
    words = None if watch is None else parse_watch(",".join(watch))
    hotwords = data.get("hotwords")
    if hotwords is not None and (
        not isinstance(hotwords, list)
        or not all(isinstance(w, str) and w.strip() for w in hotwords)
    ):
        return Settings(), f"settings file {path} ignored: 'hotwords' must be a list of phrases"
    hotword_score = data.get("hotword_score")
    if hotword_score is not None and (
        isinstance(hotword_score, bool)
        or not isinstance(hotword_score, (int, float))
        or not 0 < hotword_score <= 20
    ):
        return (
            Settings(),
            f"settings file {path} ignored: 'hotword_score' must be above 0, at most 20",
        )
    watch_hotwords = data.get("watch_hotwords")
    if watch_hotwords is not None and not isinstance(watch_hotwords, bool):
        return Settings(), f"settings file {path} ignored: 'watch_hotwords' must be true or false"
    punctuation = data.get("punctuation")
    if punctuation is not None and (not isinstance(punctuation, str) or not punctuation.strip()):
        return Settings(), (
            f"settings file {path} ignored: 'punctuation' must be a model name, a folder or "
            '"none"'
        )
    lines = data.get("strip_lines")
    if lines is not None and (isinstance(lines, bool) or not isinstance(lines, int) or lines < 1):
        return (
            Settings(),
            f"settings file {path} ignored: 'strip_lines' must be a whole number >= 1",
        )
    return (
        Settings(
            theme,
            quantize,
            **seconds,
            strip_lines=lines,
            watch=words,
            watch_bell=bell,
            punctuation=punctuation,
            hotwords=None if hotwords is None else tuple(hotwords),
            hotword_score=None if hotword_score is None else float(hotword_score),
            watch_hotwords=watch_hotwords,
            path=path,
        ),
        None,
    )


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings that are set into the file atomically, keeping its other keys,
    comments and layout (a theme change must not undo the user's edits); returns a warning
    instead of raising if that fails. A file that is not TOML is left as the user wrote it."""
    path = path or settings_path()
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = tomlkit.document()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        return f"settings not saved: {path} cannot be read as TOML ({exc}); fix or remove it"
    for key, value in _toml_values(settings).items():
        if document.get(key) != value:
            document[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(tomlkit.dumps(document), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        return f"settings not saved to {path}: {exc.strerror or exc}"
    return None


def _toml_values(settings: Settings) -> dict[str, str | float | int | bool | list[str]]:
    """The fields that are set, as TOML values (tuples as arrays; not where they came from)."""
    values: dict[str, str | float | int | bool | list[str]] = {}
    for item in dataclasses.fields(settings):
        value = getattr(settings, item.name)
        if value is not None and item.compare:
            values[item.name] = list(value) if isinstance(value, tuple) else value
    return values
