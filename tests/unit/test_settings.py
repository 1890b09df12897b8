"""The settings file: rewritten in place, refused numbers, and errors that name it."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_captions.asr.context_graph import build_graph
from tui_captions.asr.hotwords import HotwordError
from tui_captions.cli import build_parser
from tui_captions.config import (
    KEYS,
    SECONDS,
    HotwordChoice,
    Settings,
    load_settings,
    save_settings,
    settings_table,
)
from tui_captions.text.catalog import open_post_processor

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

UNKNOWN_ONLY = ["<unk>", ""]  # a vocabulary that cannot write any word


def unknown(phrase: str) -> list[int]:
    return [0]


USERS_FILE = """\
# Chosen with care: keep this comment.
endpoint_silence = 1.2  # I pause a lot

watch = ["Zoë", "Budget"]
"""


@settings(max_examples=60, deadline=None)
@given(theme=st.text(min_size=1))
def test_a_theme_change_keeps_the_users_file_and_writes_any_name(
    tmp_path_factory: pytest.TempPathFactory, theme: str
) -> None:
    """Issue 36: `t` wrote an emoji as JSON's surrogate escapes (TOML refuses them, so every
    setting was ignored at the next start) and dropped the user's comments."""
    path = tmp_path_factory.mktemp("conf") / "settings.toml"
    path.write_text(USERS_FILE, encoding="utf-8")
    assert save_settings(Settings(theme=theme), path) is None
    text = path.read_text(encoding="utf-8")
    assert text.startswith(USERS_FILE)  # comments, layout and the other keys as written
    assert tomllib.loads(text)["theme"] == theme
    loaded, problems = load_settings(path)
    assert problems == ()
    assert (loaded.theme, loaded.endpoint_silence, loaded.watch) == (theme, 1.2, ("zoë", "budget"))


def test_an_emoji_theme_is_written_as_itself(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    assert save_settings(Settings(theme="🌈 rainbow"), path) is None
    assert path.read_text(encoding="utf-8") == 'theme = "🌈 rainbow"\n'
    assert save_settings(Settings(theme="🌙 night"), path) is None  # replaced, not added
    assert path.read_text(encoding="utf-8") == 'theme = "🌙 night"\n'


def test_a_file_that_is_not_toml_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("quantize = [\n")
    warning = save_settings(Settings(theme="x"), path)
    assert warning is not None and "not saved" in warning and str(path) in warning
    assert path.read_text() == "quantize = [\n"


@pytest.mark.parametrize("key", [name for name, key in KEYS.items() if key.kind == SECONDS])
@pytest.mark.parametrize("number", ["inf", "+inf", "-inf", "nan", "1e400"])
def test_non_finite_seconds_in_the_file_are_one_warning(
    tmp_path: Path, key: str, number: str
) -> None:
    """TOML has inf and nan: `endpoint_silence = inf` ended in an OverflowError."""
    path = tmp_path / "settings.toml"
    path.write_text(f"{key} = {number}\n")
    loaded, warnings = load_settings(path)
    assert loaded == Settings()
    message = f"settings file {path}, '{key}' ignored: must be seconds above 0 and finite"
    assert warnings == (message,)


# A good value for every key, and a bad one (as TOML).
GOOD = {
    "theme": '"🌙 night"',
    "quantize": '"none"',
    "endpoint_silence": "1.2",
    "max_segment": "10",
    "clear_after": "4.5",
    "strip_lines": "2",
    "watch": '["Zoë", "budget  Review"]',
    "watch_bell": "false",
    "punctuation": '"none"',
    "language": '"fr-FR"',
    "hotwords": '["Alice", "budget review :2"]',
    "hotword_score": "2.5",
    "watch_hotwords": "false",
    "web_clients": "4",
}
BAD = {
    "theme": "3",
    "quantize": '"int4"',
    "endpoint_silence": "0",
    "max_segment": "true",
    "clear_after": '"5"',
    "strip_lines": "1.5",
    "watch": '"alice"',
    "watch_bell": '"no"',
    "punctuation": '"  "',
    "language": '""',
    "hotwords": '["alice", ""]',
    "hotword_score": "21",
    "watch_hotwords": "1",
    "web_clients": "0",
}


def write(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{key} = {value}\n" for key, value in values.items()))


def test_every_key_is_read_from_the_file(tmp_path: Path) -> None:
    assert set(GOOD) == set(BAD) == set(KEYS)
    path = tmp_path / "settings.toml"
    write(path, GOOD)
    loaded, warnings = load_settings(path)
    assert warnings == ()
    assert loaded == Settings(
        theme="🌙 night",
        quantize="none",
        endpoint_silence=1.2,
        max_segment=10.0,
        clear_after=4.5,
        strip_lines=2,
        watch=("zoë", "budget review"),
        watch_bell=False,
        punctuation="none",
        language="fr-FR",
        hotwords=("Alice", "budget review :2"),
        hotword_score=2.5,
        watch_hotwords=False,
        web_clients=4,
    )
    again = tmp_path / "again.toml"
    assert save_settings(loaded, again) is None
    assert load_settings(again) == (loaded, ())


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bad_value_is_one_warning_and_the_other_keys_apply(tmp_path: Path, key: str) -> None:
    """Issue 37: one bad value made the whole file ignored."""
    path = tmp_path / "settings.toml"
    write(path, GOOD)
    good, _ = load_settings(path)
    write(path, {**GOOD, key: BAD[key]})
    loaded, warnings = load_settings(path)
    assert loaded == dataclasses.replace(good, **{key: None})
    (warning,) = warnings
    assert warning == f"settings file {path}, '{key}' ignored: must be {KEYS[key].kind.must_be}"


def test_an_unknown_key_is_one_warning_that_names_it(tmp_path: Path) -> None:
    """Issue 37: a misspelt key was ignored without a word."""
    path = tmp_path / "settings.toml"
    path.write_text('endpoint_silense = 1.5\ntheme = "x"\ncolour = "red"\n')
    loaded, warnings = load_settings(path)
    assert loaded == Settings(theme="x")
    assert warnings == (
        f"settings file {path}, 'endpoint_silense' ignored: not a setting; "
        "did you mean 'endpoint_silence'?",
        f"settings file {path}, 'colour' ignored: not a setting; "
        "the keys are listed in docs/settings.md",
    )


def test_the_docs_list_every_key_as_declared() -> None:
    docs = Path(__file__).parents[2] / "docs" / "settings.md"
    table = settings_table()
    assert table in docs.read_text(encoding="utf-8")
    assert all(f"| `{key}` |" in table for key in KEYS)


@pytest.mark.parametrize("option", ["--endpoint-silence", "--max-segment"])
@pytest.mark.parametrize("number", ["inf", "Infinity", "nan", "1e400"])
def test_non_finite_seconds_options_are_refused(
    option: str, number: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["transcribe", "talk.wav", option, number])
    assert stop.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.endswith(f"argument {option}: must be a finite number more than 0, got {number}")


def test_a_hotword_score_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('hotwords = ["alice :lots"]\n')
    loaded, problems = load_settings(path)
    assert problems == ()
    with pytest.raises(HotwordError) as error:
        loaded.hotword_list(HotwordChoice(), None)
    assert str(error.value).startswith(f"settings file {path}, 'hotwords': 'lots' after")


def test_a_watch_word_the_model_cannot_spell_names_the_file_and_key(tmp_path: Path) -> None:
    """A watch-word from the file is a hotword too; one the model cannot write stopped every
    command with a message that did not say where the word came from."""
    path = tmp_path / "settings.toml"
    path.write_text('watch = ["zebra"]\n')
    loaded, _ = load_settings(path)
    with pytest.raises(HotwordError) as error:
        build_graph(loaded.hotword_list(HotwordChoice(), None), unknown, UNKNOWN_ONLY, unknown=0)
    assert str(error.value).startswith(f"settings file {path}, 'watch': hotword 'zebra'")
    with pytest.raises(HotwordError) as error:
        build_graph(loaded.hotword_list(HotwordChoice(), "zebra"), unknown, UNKNOWN_ONLY, unknown=0)
    assert str(error.value).startswith("--watch: hotword 'zebra'")  # the option wins


def test_a_punctuation_model_from_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    missing = tmp_path / "no-such-model"
    path.write_text(f'punctuation = "{missing}"\n')
    loaded, _ = load_settings(path)
    notes: list[str] = []
    open_post_processor(*loaded.punctuation_choice(None, notes.append))
    open_post_processor(*loaded.punctuation_choice(str(missing), notes.append))
    assert len(notes) == 2
    assert notes[0] == f"settings file {path}, 'punctuation': {notes[1]}"
    assert notes[1].startswith("punctuation is off") and str(missing) in notes[1]
