"""Speaker labels in the app: each speaker named and coloured in the pane, a later label
updating its line on screen and in the journal; a labeller that cannot load is one notice."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from tests.functional.test_tui_keys import screen_text, started
from tests.snapshots.fixed_app import fixed_app, update
from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import read_journal
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.widgets.transcript import TranscriptPane


def test_speakers_are_named_in_their_colours_and_a_later_label_updates_the_line(
    tmp_path: Path,
) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            lines = (
                Segment(0, 30.0, 31.0, "shall we start", speaker="Speaker 1"),
                Segment(1, 32.0, 33.0, "yes please", speaker="Speaker 2"),
                Segment(2, 34.0, 35.0, "who said that"),  # its speaker not known yet
            )
            app.post_message(EngineEvent(update(99, "", lines, -20, 50), app.generation[""]))
            await pilot.pause()
            text = screen_text(app)
            assert "Speaker 1: Shall we start" in text and "Speaker 2: Yes please" in text
            log = app.screen.query_one(TranscriptPane).log_view
            shown = log.segments[-3:]
            labels = [log._text(s).spans[0].style for s in shown[:2]]  # the names' styles
            assert labels[0] != labels[1]
            late = dataclasses.replace(shown[2], speaker="Speaker 2")
            for sink in app.session.sinks:  # as the session hands on a label that came later
                sink.speaker(late)
            await pilot.pause()
            assert "Speaker 2: Who said that" in screen_text(app)
            journal = app.session.journal_if_open
            assert journal is not None
            saved = {s.text: s.speaker for s in read_journal(journal.path).segments}
            assert saved["who said that"] == "Speaker 2"

    asyncio.run(flow())


def test_a_speaker_model_that_cannot_load_is_one_notice_and_captions_go_on(
    tmp_path: Path,
) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        app.options = dataclasses.replace(app.options, speaker_model=tmp_path / "gone.onnx")
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            notices = [n.message for n in app._notifications]
            assert [n for n in notices if "speaker labels" in n] == [
                f"{tmp_path / 'gone.onnx'}: the fixed app hears no audio to label; "
                "captions go on without speaker labels"
            ]
            assert "" in app.session.channels and app.state != "failed"

    asyncio.run(flow())
