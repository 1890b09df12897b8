"""User settings: a small TOML file in the user config dir, remembered across runs.

What the app changes interactively (the theme) and what a user sets once for
every command (``quantize``); a broken file never stops anything, it is
reported once and defaults are used. Command-line options win over the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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
DEFAULT_STRIP_LINES = 3
DOCS = "docs/settings.md"  # where the table of keys is, for a key the file misspells
T = TypeVar("T", bound=str)


@dataclass(frozen=True)
class Kind:
    """What a key's value must be: said in the docs and the warning, checked on reading."""

    must_be: str
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda value: value  # as the Settings field holds it


@dataclass(frozen=True)
class Key:
    """A settings key's declaration, kept in its Settings field's metadata."""

    kind: Kind
    doc: str  # one line for the docs' table


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_phrases(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(w, str) and w.strip() for w in value)


TEXT = Kind("a string", lambda value: isinstance(value, str))
FLAG = Kind("true or false", lambda value: isinstance(value, bool))
# TOML has inf and nan; a line can't wait forever.
SECONDS = Kind(
    "seconds above 0 and finite", lambda value: _is_number(value) and 0 < value < math.inf, float
)
ROWS = Kind(
    "a whole number >= 1",
    lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 1,
)
QUANTIZE = Kind(" or ".join(f'"{mode}"' for mode in QUANTIZE_MODES), QUANTIZE_MODES.__contains__)
WORDS = Kind("a list of words", _is_phrases, lambda words: parse_watch(",".join(words)))
PHRASES = Kind("a list of phrases", _is_phrases, tuple)
SCORE = Kind("a number above 0, at most 20", lambda value: _is_number(value) and 0 < value <= 20)
MODEL = Kind(
    'a model name, a folder or "none"', lambda value: isinstance(value, str) and bool(value.strip())
)
LANGUAGE = Kind(
    'a language such as "fr-FR" or "fr"',
    lambda value: isinstance(value, str) and bool(value.strip()),
)


def setting(kind: Kind, doc: str) -> Any:
    """A key of the file, declared once: a Settings field (None: not set), its kind, its doc."""
    return field(default=None, metadata={"key": Key(kind, doc)})


@dataclass(frozen=True)
class Settings:
    """The file's keys, each declared once here; reading, checks and docs follow from them."""

    theme: str | None = setting(TEXT, "the colour theme (`t` in the app saves it here)")
    quantize: str | None = setting(QUANTIZE, "how the model runs when `--quantize` is not given")
    endpoint_silence: float | None = setting(SECONDS, "as `--endpoint-silence`: quiet ends a line")
    max_segment: float | None = setting(SECONDS, "as `--max-segment`: a line ends at its next word")
    clear_after: float | None = setting(SECONDS, "as `--clear-after`: the caption strip empties")
    strip_lines: int | None = setting(ROWS, "as `--lines`: rows of text in the caption strip")
    watch: tuple[str, ...] | None = setting(WORDS, "as `--watch`: words to be told about")
    watch_bell: bool | None = setting(FLAG, "`false`: no terminal bell on a watch-word")
    punctuation: str | None = setting(MODEL, "as `--punctuation`: the punctuation model")
    language: str | None = setting(LANGUAGE, "as `--language`: what a multilingual model writes")
    hotwords: tuple[str, ...] | None = setting(
        PHRASES, "as `--hotwords`: phrases the search prefers"
    )
    hotword_score: float | None = setting(SCORE, "as `--hotword-score`: their bonus per token")
    watch_hotwords: bool | None = setting(FLAG, "`false`: watch-words are not hotwords too")
    web_clients: int | None = setting(
        ROWS, "browsers `--serve` serves at once (default 32); one more is answered 503"
    )
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
        language: str | None = None,
    ) -> DecodeOptions:
        """How each stream decodes: the command line's endpoints and language, else the
        file's, else the defaults; a CTC model's decoder and language model as the command
        line names them."""
        defaults = DecodeOptions()
        return DecodeOptions(
            beam,
            endpoint_silence or self.endpoint_silence or defaults.endpoint_silence_s,
            max_segment or self.max_segment or defaults.max_segment_s,
            decoder,
            lm,
            hotwords,
            language=language or self.language,
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
        return _where(self.path or settings_path(), name)


KEYS: dict[str, Key] = {
    item.name: item.metadata["key"] for item in dataclasses.fields(Settings) if item.metadata
}


def _where(path: Path, name: str) -> str:
    return f"settings file {path}, '{name}'"


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


def load_settings(path: Path | None = None) -> tuple[Settings, tuple[str, ...]]:
    """The saved settings and a one-line warning per key that could not be used (the others
    apply), or one warning for a file that could not be read at all."""
    path = path or settings_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings(), ()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Settings(), (f"settings file {path} ignored: {exc}",)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in data.items():
        key = KEYS.get(name)
        if key is None:
            problems.append(_unknown(path, name))
        elif not key.kind.accepts(value):
            problems.append(f"{_where(path, name)} ignored: must be {key.kind.must_be}")
        else:
            values[name] = key.kind.convert(value)
    return Settings(**values, path=path), tuple(problems)


def _unknown(path: Path, name: str) -> str:
    """A key that is not a setting (a typo, most likely): which it may have meant."""
    close = difflib.get_close_matches(name, KEYS, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"the keys are listed in {DOCS}"
    return f"{_where(path, name)} ignored: not a setting; {hint}"


def settings_table() -> str:
    """The keys as a Markdown table: the docs hold it, and a test keeps the two the same."""
    rows = ["| key | value | what it sets |", "| --- | --- | --- |"]
    rows += [f"| `{name}` | {key.kind.must_be} | {key.doc} |" for name, key in KEYS.items()]
    return "\n".join(rows) + "\n"


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
    for name in KEYS:
        value = getattr(settings, name)
        if value is not None:
            values[name] = list(value) if isinstance(value, tuple) else value
    return values
