"""Snapshots of the picker and the captions screen in every built-in theme and two sizes.

The app comes from :func:`fixed_app`: fixed devices, levels, captions and a
stopped clock, so the pictures depend only on the code and the themes.
Update after an intended change with ``pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.snapshots.fixed_app import feed, feed_meeting, fixed_app
from tui_captions.tui.screens.picker import PickerScreen

THEMES = ("captions-dark", "captions-light", "captions-high-contrast")
SIZES = ((80, 24), (120, 40))


async def picker_ready(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, PickerScreen)
    screen.query_one(Input).cursor_blink = False
    screen._probe_highlighted()  # at once, not after the scrolling pause
    await pilot.pause()


async def captions_ready(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    feed(pilot.app)  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_picker(
    snap_compare: Callable[..., bool], tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    app = fixed_app(tmp_path, theme, with_source=False)
    assert snap_compare(app, terminal_size=size, run_before=picker_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_captions(
    snap_compare: Callable[..., bool], tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    app = fixed_app(tmp_path, theme, with_source=True)
    assert snap_compare(app, terminal_size=size, run_before=captions_ready)


async def meeting_ready(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    feed_meeting(pilot.app)  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_meeting(
    snap_compare: Callable[..., bool], tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    """Two sources: labelled lines in each source's colour by start time, two meters."""
    app = fixed_app(tmp_path, theme, with_source=False, meeting=True)
    assert snap_compare(app, terminal_size=size, run_before=meeting_ready)


async def strip_ready(pilot: Pilot[Any]) -> None:
    await captions_ready(pilot)
    await pilot.press("z")
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 5), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
def test_caption_strip(
    snap_compare: Callable[..., bool], tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    """z: the last three rows of text across the whole width, the partial text below."""
    app = fixed_app(tmp_path, theme, with_source=True)
    assert snap_compare(app, terminal_size=size, run_before=strip_ready)


async def search_ready(pilot: Pilot[Any]) -> None:
    await captions_ready(pilot)
    await pilot.press("slash", *"the", "enter")
    await pilot.pause()
    pilot.app.screen.query_one("#search", Input).cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("theme", THEMES)
def test_search(snap_compare: Callable[..., bool], tmp_path: Path, theme: str) -> None:
    """/: the matches highlighted, the search line above the status line."""
    app = fixed_app(tmp_path, theme, with_source=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=search_ready)


def test_demo_note(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "captions-dark", with_source=True, demo=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=captions_ready)
