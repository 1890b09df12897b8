"""Speaker labels in the app: each speaker named and coloured in the pane, a later label
updating its line on screen and in the journal; a labeller that cannot load is one notice."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from tests.functional.test_tui_keys import screen_text, started
from tests.snapshots.fixed_app import FixedBackend, fixed_app, update
from tests.speaker_audio import TINY_SPEAKERS
from tui_captions.core.segments import Segment
from tui_captions.speakers.embedding import SpeakerEmbedder
from tui_captions.speakers.labeller import SpeakerLabeller
from tui_captions.transcript.journal import read_journal
from tui_captions.tui.app import CaptionsApp
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.widgets.transcript import TranscriptPane

# A line of each of two speakers, as the recognizer's final lines with their labels.
TWO_SPEAKERS = (
    Segment(0, 30.0, 31.0, "shall we start", speaker="Speaker 1"),
    Segment(1, 32.0, 33.0, "yes please", speaker="Speaker 2"),
)


def test_speakers_are_named_in_their_colours_and_a_later_label_updates_the_line(
    tmp_path: Path,
) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            lines = (
                *TWO_SPEAKERS,
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
        options = fixed_app(tmp_path, "captions-dark", with_source=True).options
        app = CaptionsApp(
            dataclasses.replace(options, speakers=True, speaker_model=tmp_path / "gone.onnx"),
            backend=FixedBackend(),
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            notices = [n.message for n in app._notifications]
            assert [n for n in notices if "speaker labels" in n] == [
                f"{tmp_path / 'gone.onnx'}: the fixed app hears no audio to label; "
                "captions go on without speaker labels"
            ]
            assert "" in app.session.channels and app.state != "failed"

    asyncio.run(flow())


class LabellingBackend(FixedBackend):
    """The fixed app, with real labellers (of the tiny speaker model) when asked for one."""

    def __init__(self) -> None:
        super().__init__()
        self.labellers: list[SpeakerLabeller] = []

    def create_labeller(self, model: Path, sample_rate: int) -> SpeakerLabeller:
        labeller = SpeakerLabeller(SpeakerEmbedder(model))
        self.labellers.append(labeller)
        return labeller


def test_l_turns_speaker_labels_on_and_off_and_says_what_it_needs(tmp_path: Path) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            await pilot.press("l")
            assert app._notifications and "--speaker-model PATH" in _last_notice(app)
        backend = LabellingBackend()
        app = CaptionsApp(
            dataclasses.replace(app.options, speaker_model=TINY_SPEAKERS), backend=backend
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            assert backend.labellers == []  # off until asked
            await pilot.press("l")
            assert _last_notice(app) == "Speaker labels on" and len(backend.labellers) == 1
            await pilot.press("l")
            assert _last_notice(app) == "Speaker labels off" and len(backend.labellers) == 1
            await pilot.press("l")  # the same labeller again: its speakers keep their numbers
            assert _last_notice(app) == "Speaker labels on" and len(backend.labellers) == 1

    asyncio.run(flow())


def _last_notice(app: CaptionsApp) -> str:
    return list(app._notifications)[-1].message


def test_shift_l_names_a_speaker_for_the_session_on_screen_and_in_the_journal(
    tmp_path: Path,
) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            await pilot.press("L")
            assert "No speaker is labelled yet" in _last_notice(app)
            lines = TWO_SPEAKERS
            app.post_message(EngineEvent(update(99, "", lines, -20, 50), app.generation[""]))
            await pilot.pause()
            await pilot.press("L")
            await pilot.pause()
            await pilot.press(*"Alice", "enter")  # the first speaker is chosen
            await pilot.pause()
            text = screen_text(app)
            assert "Alice: Shall we start" in text and "Speaker 2: Yes please" in text
            journal = app.session.journal_if_open
            assert journal is not None
            saved = [s.speaker for s in read_journal(journal.path).segments[-2:]]
            assert saved == ["Alice", "Speaker 2"]

    asyncio.run(flow())
