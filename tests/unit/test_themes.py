"""Theme files: built-ins load, high contrast really is, broken files are reported not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color

from tui_captions.asr.defaults import DEFAULT_QUANTIZE
from tui_captions.asr.engine import DecodeOptions, RunOptions
from tui_captions.config import Settings, load_settings, save_settings
from tui_captions.tui.themes import (
    APP_VARIABLES,
    DEFAULT_THEME,
    ThemeFileError,
    app_variable_defaults,
    discover_themes,
    load_theme_file,
    theme_from_dict,
)

BUILT_IN = {"captions-dark", "captions-light", "captions-high-contrast"}
TEXT_VARIABLES = ("text", "text-muted", "foreground", *APP_VARIABLES)
BACKGROUNDS = ("background", "surface", "panel")


def luminance(color: Color) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert contrast(Color.parse("#000000"), Color.parse("#ffffff")) == pytest.approx(21.0)
    assert contrast(Color.parse("#777777"), Color.parse("#ffffff")) == pytest.approx(4.48, abs=0.01)


def test_built_in_themes_load_with_every_app_variable(tmp_path: Path) -> None:
    found = discover_themes(tmp_path / "no-user-themes")
    assert found.problems == []
    assert set(found.names()) == BUILT_IN
    assert DEFAULT_THEME in found.names()
    for theme in found.themes:
        assert set(APP_VARIABLES) <= set(theme.variables), theme.name


def test_high_contrast_text_is_at_least_7_to_1_on_every_background(tmp_path: Path) -> None:
    theme = next(t for t in discover_themes(tmp_path).themes if t.name == "captions-high-contrast")
    variables = {**theme.to_color_system().generate(), **theme.variables}
    ratios = {
        (text, ground): contrast(Color.parse(variables[text]), Color.parse(variables[ground]))
        for text in TEXT_VARIABLES
        for ground in BACKGROUNDS
    }
    # Alarms (clip light, falling-behind warning, error status) draw the background on $error.
    ratios["background", "error"] = contrast(
        Color.parse(variables["background"]), Color.parse(variables["error"])
    )
    low = {pair: round(ratio, 2) for pair, ratio in ratios.items() if ratio < 7.0}
    assert low == {}


def test_broken_user_theme_is_reported_and_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("name = 'x'\n[colors\n")
    (tmp_path / "bad-colour.toml").write_text("name = 'y'\n[colors]\nprimary = 'blurple'\n")
    (tmp_path / "mine.toml").write_text(
        "name = 'mine'\ndark = false\n[colors]\nprimary = '#123456'\n"
    )
    found = discover_themes(tmp_path)
    assert "mine" in found.names()
    assert set(found.names()) >= BUILT_IN
    assert len(found.problems) == 2
    assert any("broken.toml" in p and "TOML" in p for p in found.problems)
    assert any("bad-colour.toml" in p and "'blurple' is not a colour" in p for p in found.problems)


def test_user_theme_with_a_built_in_name_replaces_it(tmp_path: Path) -> None:
    (tmp_path / "dark.toml").write_text("name = 'captions-dark'\n[colors]\nprimary = '#ff0000'\n")
    themes = {t.name: t for t in discover_themes(tmp_path).themes}
    assert themes["captions-dark"].primary == "#ff0000"
    assert len(themes) == len(BUILT_IN)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colors": {"primary": "#fff"}}, "'name'"),
        ({"name": "x", "colors": {}}, "needs at least 'primary'"),
        ({"name": "x", "colors": {"primary": "#fff", "shiny": "#fff"}}, "unknown keys shiny"),
        ({"name": "x", "colour": {}}, "unknown keys colour"),
        ({"name": "x", "dark": "yes", "colors": {"primary": "#fff"}}, "'dark'"),
        ({"name": "x", "colors": {"primary": "#fff"}, "variables": {"meter-low": 3}}, "meter-low"),
    ],
)
def test_invalid_theme_data_says_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(ThemeFileError, match=message):
        theme_from_dict(data)


def test_unreadable_theme_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ThemeFileError, match=r"missing\.toml"):
        load_theme_file(tmp_path / "missing.toml")


def test_theme_without_app_variables_gets_them_from_its_own_colours() -> None:
    theme = theme_from_dict({"name": "bare", "colors": {"primary": "#336699", "error": "#aa0000"}})
    colors = theme.to_color_system().generate()
    defaults = app_variable_defaults(colors)
    assert set(defaults) == set(APP_VARIABLES)
    assert defaults["meter-high"] == colors["error"]
    assert defaults["partial-text"] == colors["text-muted"]


def test_settings_round_trip_and_broken_file_warning(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "settings.toml"
    assert load_settings(path) == (Settings(), ())
    assert save_settings(Settings(theme='odd "name"'), path) is None
    assert load_settings(path) == (Settings(theme='odd "name"'), ())
    both = Settings(theme="x", quantize="none")
    assert save_settings(both, path) is None
    assert load_settings(path) == (both, ())
    assert both.run_options(1, None, "cpu").quantize == "none" != DEFAULT_QUANTIZE
    assert both.run_options(1, "int8", "cpu").quantize == "int8"
    assert Settings().run_options(1, None, "cpu").quantize == DEFAULT_QUANTIZE
    assert Settings().run_options(2, None, "cuda") == RunOptions(2, "none", "cuda")
    endpoints = Settings(theme="x", endpoint_silence=1.5, max_segment=8)
    assert save_settings(endpoints, path) is None
    # saving keeps the keys it is not given (quantize)
    assert load_settings(path) == (Settings("x", "none", 1.5, 8), ())
    assert endpoints.decode_options(3, None, None) == DecodeOptions(3, 1.5, 8.0)
    assert endpoints.decode_options(3, 0.4, 20.0) == DecodeOptions(3, 0.4, 20.0)
    assert Settings().decode_options(4, None, None) == DecodeOptions(beam=4)
    for bad in ("endpoint_silence = 0", 'max_segment = "long"', "max_segment = true"):
        path.write_text(bad + "\n")
        settings, (warning,) = load_settings(path)
        assert settings == Settings()
        assert "must be seconds above 0" in warning and bad.split()[0] in warning
    path.write_text("theme = [")
    settings, (warning,) = load_settings(path)
    assert settings == Settings()
    assert str(path) in warning


def test_settings_save_failure_is_a_warning_not_an_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    warning = save_settings(Settings(theme="x"), blocker / "settings.toml")
    assert warning is not None and "not saved" in warning
