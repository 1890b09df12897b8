"""Keys, help, command palette and follow mode, on the fixed-data app (no devices needed)."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.snapshots.fixed_app import (
    DEVICES,
    FixedBackend,
    Idle,
    feed,
    feed_meeting,
    fixed_app,
    update,
)
from tui_captions.asr.engine import DecodeOptions
from tui_captions.audio.protocol import Source
from tui_captions.core.events import SourceEnded
from tui_captions.core.segments import Segment
from tui_captions.tui.app import CaptionsApp
from tui_captions.tui.backend import FailedCallback, LevelsCallback, ProbeHandle
from tui_captions.tui.keys import CAPTIONS_KEYS
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.screens.captions import CaptionsScreen
from tui_captions.tui.screens.dialogs import FormDialog, HelpScreen, RenameDialog, SaveDialog
from tui_captions.tui.widgets.transcript import NOT_FOLLOWING, TranscriptPane


def screen_text(app: CaptionsApp) -> str:
    """The screen as plain text (from the SVG screenshot, one text run per span)."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    return html.unescape("".join(runs)).replace("\xa0", " ")


async def started(pilot: Pilot[Any]) -> CaptionsApp:
    app = pilot.app
    assert isinstance(app, CaptionsApp)
    await app.workers.wait_for_complete()
    await pilot.pause()  # the loaded model's message, which adds the session's channel
    feed(app)
    await pilot.pause()
    return app


def test_help_screen_and_palette_list_every_command(tmp_path: Path) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            shown = screen_text(app)
            assert [key.help for key in CAPTIONS_KEYS if key.help not in shown] == []
            assert "This session" in shown and "emformer-librispeech (rnnt, cpu int8)" in shown
            await pilot.press("escape")
            assert isinstance(app.screen, CaptionsScreen)
            titles = {command.title for command in app.get_system_commands(app.screen)}
            assert {key.label for key in CAPTIONS_KEYS} <= titles

    asyncio.run(flow())


async def sixty_lines_followed(pilot: Pilot[Any]) -> TranscriptPane:
    """The started app with more lines than its pane shows, following the newest."""
    app = await started(pilot)
    finals = [Segment(10 + i, 20.0 + i, 21.0 + i, f"line number {i}") for i in range(60)]
    app.post_message(EngineEvent(update(99, "", tuple(finals), -20, 50), app.generation[""]))
    await pilot.pause()
    pane = app.screen.query_one(TranscriptPane)
    assert pane.following and pane.log_view.scroll_y == pane.log_view.max_scroll_y > 0
    return pane


def test_a_follow_waiting_for_the_layout_does_not_undo_a_scroll_up(tmp_path: Path) -> None:
    """Following again queues a scroll for after the next refresh; if the user scrolls up
    before it runs (a busy machine: CI saw it), they stay where they went."""

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await sixty_lines_followed(pilot)
            log = pane.log_view
            pane.following = False
            pane.following = True  # "f": queues the scroll to the end
            log.scroll_to(y=0, animate=False, immediate=True)  # the user, before the refresh
            await pilot.pause()
            assert not pane.following and log.scroll_y == 0

    asyncio.run(flow())


def test_scrolling_up_stops_following_and_f_resumes(tmp_path: Path) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await sixty_lines_followed(pilot)
            log = pane.log_view
            log.scroll_home(animate=False)
            await pilot.pause()
            assert not pane.following and pane.border_subtitle == NOT_FOLLOWING
            more = (Segment(99, 90.0, 91.0, "the newest line"),)
            app.post_message(EngineEvent(update(100, "", more, -20, 50), app.generation[""]))
            await pilot.pause()
            assert log.scroll_y == 0  # stays where the user is
            await pilot.press("f")
            await pilot.pause()
            assert pane.following and log.scroll_y == log.max_scroll_y

    asyncio.run(flow())


def test_clear_view_keeps_the_transcript_and_save_defaults_follow_the_format(
    tmp_path: Path,
) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            await pilot.press("c")
            assert app.screen.query_one(TranscriptPane).shown == []
            await pilot.press("ctrl+s")
            dialog = app.screen
            assert isinstance(dialog, SaveDialog)
            path = dialog.query_one("#path", Input)
            assert path.value.endswith(".txt") and Path(path.value).parent == tmp_path / "sessions"
            dialog.query_one(Select).value = "srt"
            await pilot.pause()
            assert path.value.endswith(".srt")
            await pilot.press("enter")
            await pilot.pause()
            saved = Path(path.value).read_text()
            assert "The quick brown fox" in saved and "-->" in saved  # everything, as subtitles

    asyncio.run(flow())


def test_ctrl_s_with_no_lines_says_so_and_writes_nothing(tmp_path: Path) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, CaptionsScreen)
            assert [n.message for n in app._notifications][-1].startswith("Nothing to save")
        assert not list(tmp_path.glob("sessions/*"))

    asyncio.run(flow())


def test_endpoints_from_the_settings_file_are_the_apps_decode_options(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("endpoint_silence = 1.2\nmax_segment = 6\n")
    app = fixed_app(tmp_path, "captions-dark", with_source=True)
    assert app.decode_options == DecodeOptions(beam=4, endpoint_silence_s=1.2, max_segment_s=6.0)


def test_space_marks_sources_and_enter_captions_them_together(tmp_path: Path) -> None:
    """Meeting mode from the picker: a USB headset and the speakers' monitor, marked with
    space, start as "You" and "Them" (in the order marked), each with its own meter."""

    async def flow() -> None:
        from tui_captions.tui.screens.picker import PickerScreen
        from tui_captions.tui.widgets.levels import LevelMeter

        app = fixed_app(tmp_path, "captions-dark", with_source=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            await pilot.press("down", "space", "down", "space")  # from the default row
            assert len(picker.marked) == 2
            await pilot.press("up", "space", "space")  # the monitor again: now marked last
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CaptionsScreen)
            assert {c: s.source.label for c, s in app.sources.items()} == {
                "You": "USB Headset Mono",
                "Them": "Monitor of Speakers (alsa_output.monitor)",
            }
            assert list(app.session.channels) == ["You", "Them"]
            assert [m.label for m in app.screen.query(LevelMeter)] == ["You", "Them"]
            assert "source You, Them" in screen_text(app)

    asyncio.run(flow())


def test_enter_without_marks_starts_the_highlighted_source_alone(tmp_path: Path) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert list(app.sources) == [""]
            assert app.source_label == "Built-in Microphone (alsa_input.pci)"

    asyncio.run(flow())


def test_an_audio_visual_model_gets_a_camera_beside_the_picked_microphone(
    tmp_path: Path,
) -> None:
    """The picker lists the cameras once the model is known to read lips; the one shown
    goes beside the microphone, and two marked sources with a camera are refused."""

    async def flow() -> None:
        from tui_captions.audio.protocol import Camera
        from tui_captions.tui.screens.picker import PickerScreen

        app = fixed_app(tmp_path, "captions-dark", with_source=False, video=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            await app.workers.wait_for_complete()  # the listing, cameras included
            await pilot.pause()
            assert "Integrated Camera" in screen_text(app)
            await pilot.press("space", "down", "space", "enter")
            await pilot.pause()
            assert app.screen is picker  # one source only beside a camera
            await pilot.press("space", "enter")
            await pilot.pause()
            assert isinstance(app.screen, CaptionsScreen)
            (chosen,) = app.sources.values()
            assert chosen.source.camera == Camera("/dev/video0", "v4l2")

    asyncio.run(flow())


def test_the_partial_text_sits_under_the_last_line_and_stays_in_view(tmp_path: Path) -> None:
    async def flow() -> None:
        from textual.widgets import Static

        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            pane = app.screen.query_one(TranscriptPane)
            partial = pane.query_one("#partial", Static)
            log = pane.log_view
            assert partial.region.y == log.region.bottom  # right under the last final line
            assert partial.region.bottom < pane.region.bottom - 5  # the pane is not full yet
            finals = tuple(Segment(10 + i, 20.0 + i, 21.0 + i, f"line {i}") for i in range(60))
            app.post_message(EngineEvent(update(99, "still", finals, -20, 50), app.generation[""]))
            await pilot.pause()
            await pilot.pause()
            assert partial.region.height >= 1
            assert partial.region.bottom <= pane.region.bottom - 1  # inside the border
            assert log.scroll_y == log.max_scroll_y > 0  # following, the last line shown

    asyncio.run(flow())


def test_a_watch_word_highlights_its_line_notifies_and_rings(tmp_path: Path) -> None:
    """The fixed feed says "meet again on friday": watching "Friday" highlights that line,
    notifies with its time and text, and rings the bell (unless the settings say not to)."""

    async def flow(bell_setting: str) -> tuple[int, list[str]]:
        settings = tmp_path / "settings.toml"
        settings.write_text(bell_setting)
        app = fixed_app(tmp_path, "captions-dark", with_source=True, watch="Friday")
        rings = []
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            await pilot.pause()
            notes = [f"{n.title}|{n.message}" for n in app._notifications]
            pane = app.screen.query_one(TranscriptPane)
            watch_style = pane.log_view.get_component_rich_style("transcript-log--watch")
            log = pane.log_view
            highlighted = {
                segment.text.strip()
                for strip in (log.render_line(y) for y in range(log.size.height))
                for segment in strip
                if segment.style is not None and segment.style.bgcolor == watch_style.bgcolor
            }
            assert watch_style.bgcolor is not None
            assert "friday" in " ".join(highlighted) and "fox" not in " ".join(highlighted)
            from tui_captions.tui.widgets.figures import SessionFigures

            figures = app.screen.query_one(SessionFigures).figures
            assert (figures.lines, figures.words, figures.watched) == (4, 39, 1)
            assert figures.journal == "every line saved"
        return len(rings), notes

    rings, notes = asyncio.run(flow(""))
    assert rings == 1
    assert [n for n in notes if n.startswith("Said: friday|")] == [
        "Said: friday|00:04  I think we should meet again on friday"
    ]
    assert asyncio.run(flow("watch_bell = false\n"))[0] == 0


def test_a_change_of_the_session_reaches_the_bars_at_once(tmp_path: Path) -> None:
    """The bars are bound to the app's state: a new state, line or status shows on the next
    refresh, not when a once-a-second timer next copies it."""

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            assert "● live" in screen_text(app) and "lines 4" in screen_text(app)
            app.state = "ended"
            app.status_text = ("The input ended.", "information")
            more = (Segment(50, 20.0, 21.0, "one more line"),)
            app.post_message(EngineEvent(update(99, "", more, -20, 50), app.generation[""]))
            await pilot.pause()
            shown = screen_text(app)
            assert "● ended" in shown and "The input ended." in shown and "lines 5" in shown

    asyncio.run(flow())


def test_z_shows_the_caption_strip_and_clear_after_empties_it(tmp_path: Path) -> None:
    async def flow() -> None:
        from tui_captions.tui.widgets.bars import SessionBar

        app = fixed_app(tmp_path, "captions-dark", with_source=True, strip_lines=2, clear=0.3)
        async with app.run_test(size=(80, 5)) as pilot:
            await started(pilot)
            await pilot.press("z")
            await pilot.pause()
            await pilot.pause()
            screen = app.screen
            pane = screen.query_one(TranscriptPane)
            assert not screen.query_one(SessionBar).display
            assert pane.log_view.size.height == 2 and pane.log_view.size.width >= 76
            assert "wrapping shows" in screen_text(app)  # the last line, whole width
            app.post_message(EngineEvent(update(98, "", (), -20, 50), app.generation[""]))
            await pilot.pause(0.6)  # quiet for longer than --clear-after
            assert pane.shown == [] and "wrapping" not in screen_text(app)
            assert len(app.session.journal.session().segments) == 4  # the journal keeps all
            await pilot.press("z")
            await pilot.pause()
            assert screen.query_one(SessionBar).display

    asyncio.run(flow())


def test_slash_searches_n_and_shift_n_jump_and_escape_ends(tmp_path: Path) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            lines = tuple(
                Segment(
                    10 + i, 20.0 + i, 21.0 + i, f"line {i}" + (" budget" if i % 20 == 5 else "")
                )
                for i in range(60)
            )
            app.post_message(EngineEvent(update(99, "", lines, -20, 50), app.generation[""]))
            await pilot.pause()
            pane = app.screen.query_one(TranscriptPane)
            await pilot.press("slash", *"BUDGET")
            await pilot.pause()
            assert pane.query_text == "budget" and len(pane.matches()) == 3
            assert "3 lines say 'BUDGET'" in app.status_text[0]
            await pilot.press("enter")  # the first match; n and N jump from here
            await pilot.pause()
            assert not pane.following and "Match 1 of 3" in app.status_text[0]
            first = pane.log_view.scroll_y
            await pilot.press("n")
            await pilot.pause()
            assert "Match 2 of 3" in app.status_text[0] and pane.log_view.scroll_y > first
            await pilot.press("N", "N")
            await pilot.pause()
            assert "Match 3 of 3" in app.status_text[0]  # round from the first to the last
            assert "Line 45 budget" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert pane.query_text == "" and not app.screen.has_class("-searching")
            assert app.status_text[0] == "Search ended · f: follow new text"

    asyncio.run(flow())


def test_the_strip_follows_the_newest_lines_after_a_search(tmp_path: Path) -> None:
    """A search jumps up and stops following; the strip has no border to say so, so ``z``
    shows the newest lines and keeps them coming."""

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True, strip_lines=2)
        async with app.run_test(size=(80, 24)) as pilot:
            await started(pilot)
            pane = app.screen.query_one(TranscriptPane)
            await pilot.press("slash", *"fox", "enter")  # the first line says it
            await pilot.pause()
            assert not pane.following and "Match 1 of" in app.status_text[0]
            await pilot.press("escape", "z")
            await pilot.pause()
            later = tuple(Segment(20 + i, 30.0 + i, 31.0 + i, f"later line {i}") for i in range(6))
            for number, segment in enumerate(later):
                app.post_message(
                    EngineEvent(update(100 + number, "", (segment,), -20, 50), app.generation[""])
                )
                await pilot.pause()
            await pilot.pause()
            shown = screen_text(app)
            assert "Later line 5" in shown and "fox" not in shown
            assert pane.following
            # A search in the strip jumps too; once it ends, the strip follows again.
            await pilot.press("slash", *"fox", "enter")
            await pilot.pause()
            assert "fox" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert pane.following and "Later line 5" in screen_text(app)

    asyncio.run(flow())


def test_a_file_name_in_a_failure_notice_is_text_not_markup(tmp_path: Path) -> None:
    """Issue 36: Textual reads notifications as markup, so "talk [final].wav" showed as
    "talk .wav" when captioning failed or the capture stopped."""

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await started(pilot)
            for reason in ("failed", "error"):
                ended = SourceEnded(reason, (), 0, f"talk [final].wav: {reason}")
                app.post_message(EngineEvent(ended, app.generation[""]))
                await pilot.pause()
            shown = screen_text(app)
            # Each notification, and the status line (which has the latest).
            assert shown.count("talk [final].wav: failed") == 1
            assert shown.count("talk [final].wav: error") == 2

    asyncio.run(flow())


def test_r_starts_again_the_source_that_failed_not_the_file_that_ended(tmp_path: Path) -> None:
    """Issue 36: r restarted every source not capturing, so a file that had ended played
    again and its lines were captioned twice."""

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=False, meeting=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            feed_meeting(app)
            ends = {"You": SourceEnded("failed", (), 0, "boom"), "Them": SourceEnded("end", (), 0)}
            for channel, ended in ends.items():
                app.post_message(EngineEvent(ended, app.generation[channel], channel))
            await pilot.pause()
            assert app.generation == {"You": 1, "Them": 1}
            await pilot.press("r")
            assert app.generation == {"You": 2, "Them": 1}
            await pilot.press("r")  # started again: nothing has failed since
            assert app.generation == {"You": 2, "Them": 1}

    asyncio.run(flow())


class UnreadableDevices(FixedBackend):
    """Every device the picker's meter opens stops at once, saying why."""

    def start_probe(
        self, source: Source, on_levels: LevelsCallback, on_failed: FailedCallback
    ) -> ProbeHandle:
        on_failed(f"cannot open {source.label} [busy]")
        return Idle()


def test_a_level_meter_that_stops_says_why_over_the_meter(tmp_path: Path) -> None:
    """Issue 36: the picker's meter froze with nothing said when its probe failed."""

    async def flow() -> None:
        from tui_captions.tui.screens.picker import PickerScreen

        app = fixed_app(tmp_path, "captions-dark", with_source=False)
        app.backend = UnreadableDevices()
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            default = next(device for device in DEVICES if device.is_default)
            line = f"No level: cannot open {default.source().label} [busy]"
            deadline = time.monotonic() + 5.0
            while line not in screen_text(app):  # after the picker's pause before probing
                assert time.monotonic() < deadline, "the meter's failure was not shown"
                await pilot.pause(0.05)

    asyncio.run(flow())


def test_cancel_and_escape_close_either_form_dialog_with_nothing(tmp_path: Path) -> None:
    """The save and the rename dialogs share their Cancel: the button and Escape both."""
    dialogs: list[Callable[[], FormDialog[Any]]] = [
        lambda: SaveDialog(tmp_path, "talk"),
        lambda: RenameDialog([("", "Speaker 1")]),
    ]

    async def flow(make: Callable[[], FormDialog[Any]], key: str | None) -> list[object]:
        results: list[object] = []

        class Host(App[None]):
            def on_mount(self) -> None:
                self.push_screen(make(), results.append)

        async with Host().run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            if key is None:
                await pilot.click("#cancel")
            else:
                await pilot.press(key)
            await pilot.pause()
            assert not isinstance(pilot.app.screen, FormDialog)
        return results

    for make in dialogs:
        for key in (None, "escape"):
            assert asyncio.run(flow(make, key)) == [None]
