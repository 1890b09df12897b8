"""The app driven by Textual's Pilot on real sources (WAV input, PulseAudio monitor) and models.

Nothing is faked: the real backend lists devices, spawns capture workers,
runs the live engine and writes the journal. Word checks use the tiny
trained model; flows that need only *some* captions use the random model.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tests.conftest import espeak_wav
from tests.pulse import NullSink, PulseServer, pactl
from tui_captions.asr.defaults import AV_MODEL_FILES, bundled_model_dir
from tui_captions.audio.protocol import FfmpegSource, Source
from tui_captions.cli import build_parser
from tui_captions.commands.demo import demo_options
from tui_captions.errors import UserError
from tui_captions.pipeline.session import only
from tui_captions.text.names import BUNDLED
from tui_captions.transcript.journal import read_journal
from tui_captions.tui.app import AppOptions, CaptionsApp
from tui_captions.tui.screens.dialogs import ErrorScreen, SaveDialog
from tui_captions.tui.screens.picker import PickerScreen
from tui_captions.tui.widgets.bars import SessionBar
from tui_captions.tui.widgets.levels import LevelMeter
from tui_captions.tui.widgets.transcript import TranscriptPane

TINY_MODEL = Path(__file__).parents[1] / "fixtures" / "tiny-emformer"
# Words from the tiny model's vocabulary (tools/tiny_model/vocabulary.txt).
SENTENCE = "the old man and the young woman walk near the river"
WORDS = set(SENTENCE.split())
MIN_WORDS = 5  # of the 9 different words: the tiny model's errors leave room
SIZE = (110, 32)

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny_model() -> Path:
    if not (TINY_MODEL / "config.json").is_file():
        pytest.skip("the tiny trained model (tests/fixtures/tiny-emformer) is not there yet")
    return TINY_MODEL


@pytest.fixture(scope="module")
def sentence_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sentence, then two seconds of silence so the recognizer reaches an endpoint."""
    directory = tmp_path_factory.mktemp("tui-audio")
    return espeak_wav(directory / "sentence.wav", f"{SENTENCE} [[_:_:_:_:]]")


def make_app(
    tmp_path: Path, model: Path | str, source: Source | None = None, record: bool = False
) -> CaptionsApp:
    return CaptionsApp(
        AppOptions(
            model=str(model),
            beam=4,
            threads=1,
            record=record,
            punctuation=BUNDLED,
            sources=only(source) if source is not None else (),
            sessions_dir=tmp_path / "sessions",
            settings_path=tmp_path / "settings.toml",
            user_themes_dir=tmp_path / "themes",
        )
    )


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            app = pilot.app
            assert isinstance(app, CaptionsApp)
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what} "
                f"(state {app.state!r}, status {app.status_text[0]!r}, "
                f"transcript {shown_text(app) if app.captions else None!r})"
            )
        await pilot.pause(0.1)


async def wait_for_audio(
    pilot: Pilot[Any], app: CaptionsApp, what: str = "audio", more_than: int = 3
) -> None:
    """Until the session has decoded more than ``more_than`` chunks in all."""
    await wait_for(pilot, lambda: "" in app.session.channels and chunks(app) > more_than, what)


def chunks(app: CaptionsApp) -> int:
    """Chunks decoded so far on the one source's channel."""
    return app.session.channels[""].stats.chunks


def shown_text(app: CaptionsApp) -> str:
    captions = app.captions
    assert captions is not None
    return " ".join(segment.text for segment in captions.query_one(TranscriptPane).shown)


def run(coro: Any) -> None:
    asyncio.run(coro)


async def pick(pilot: Pilot[Any], sink: NullSink) -> None:
    """Type the sink's name into the picker's filter and start its monitor."""
    picker = pilot.app.screen
    assert isinstance(picker, PickerScreen)
    await wait_for(
        pilot,
        lambda: any(d.pulse_source == sink.monitor for d in picker.devices),
        "the null sink's monitor in the picker",
        timeout=20,
    )
    await pilot.press(*sink.monitor)
    table: DataTable[str] = picker.query_one(DataTable)
    assert picker.query_one(Input).value == sink.monitor
    assert table.row_count == 1
    await pilot.press("enter")


def test_picker_to_captions_to_saved_file(
    tmp_path: Path, tiny_model: Path, null_sink: NullSink, sentence_wav: Path
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, tiny_model)
        async with app.run_test(size=SIZE) as pilot:
            await pick(pilot, null_sink)
            await wait_for(pilot, lambda: app.state == "live", "the monitor to start")
            player = null_sink.play(sentence_wav)
            await wait_for(
                pilot,
                lambda: len(WORDS & set(shown_text(app).lower().split())) >= MIN_WORDS,
                "captions",
            )
            player.wait(30)
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, SaveDialog)
            path_input = app.screen.query_one("#path", Input)
            assert Path(path_input.value).parent == tmp_path / "sessions"
            path_input.value = str(tmp_path / "saved.txt")
            await pilot.press("enter")
            await wait_for(pilot, lambda: (tmp_path / "saved.txt").exists(), "the saved file")
            await pilot.press("q")
        saved = (tmp_path / "saved.txt").read_text().lower().split()
        assert len(WORDS & set(saved)) >= MIN_WORDS, saved
        journal = app.return_value
        assert journal is not None and not read_journal(journal).interrupted

    run(flow())


def test_picker_meter_follows_the_highlighted_source_and_f5_finds_new_ones(
    tmp_path: Path,
    random_model_dir: Path,
    pulse_server: PulseServer,
    null_sink: NullSink,
    sentence_wav: Path,
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, random_model_dir)
        async with app.run_test(size=SIZE) as pilot:
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            await wait_for(
                pilot,
                lambda: any(d.pulse_source == null_sink.monitor for d in picker.devices),
                "the monitor",
            )
            await pilot.press(*null_sink.monitor)
            meter = picker.query_one(LevelMeter)
            player = null_sink.play(sentence_wav)
            await wait_for(pilot, lambda: meter.rms > -40, "the meter to show the speech", 20)
            player.wait(30)
            plugged = pulse_server.add_sink("hotplug")
            try:
                await pilot.press("f5")
                await wait_for(
                    pilot,
                    lambda: any(d.pulse_source == plugged.monitor for d in picker.devices),
                    "the new sink after F5",
                    20,
                )
            finally:
                plugged.unload()
            await pilot.press("q")  # typed into the filter, not a quit key
            assert app.is_running and picker.query_one(Input).value.endswith("q")
            await pilot.press("ctrl+q")
        assert app.return_code == 0

    run(flow())


def test_demo_plays_the_bundled_clip_under_a_visible_demo_note(tmp_path: Path) -> None:
    try:
        options = demo_options(build_parser().parse_args(["demo"]))
    except UserError:
        pytest.skip("the demo clip is not bundled yet")
    if not (bundled_model_dir() / "config.json").is_file():
        pytest.skip("the demo model is not bundled yet")
    script = (Path(options.sources[0].source.url).with_name("demo_speech.txt")).read_text()  # type: ignore[union-attr]
    expected = set(script.lower().split())
    options = replace(
        options,
        sessions_dir=tmp_path / "sessions",
        settings_path=tmp_path / "settings.toml",
        user_themes_dir=tmp_path / "themes",
    )

    async def flow() -> None:
        app = CaptionsApp(options)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.captions is not None, "the captions screen")
            note = app.screen.query_one("#demo-note", Static)
            assert "demo" in str(note.render()).lower()
            # The status line names the clip once, by its name (issue 22: its whole path
            # twice, cut off at the edge).
            await wait_for(pilot, lambda: app.state == "live", "the clip playing", 60)
            assert (
                app.status_text[0] == "Listening to demo_speech.flac (flac, flac, 16000 Hz, 1 ch)."
            )
            await wait_for(
                pilot,
                lambda: len(expected & set(shown_text(app).lower().split())) >= 8,
                "the demo's words",
                120,
            )
            await pilot.press("q")

    run(flow())


def test_pause_frees_the_source_and_resume_goes_on(
    tmp_path: Path, random_model_dir: Path, speech_wav: Path
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, random_model_dir, FfmpegSource(str(speech_wav)))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_audio(pilot, app)
            await pilot.press("p")
            assert app.state == "paused" and "Paused" in app.status_text[0]
            assert not app.session.channels[""].engine.running  # type: ignore[attr-defined]
            decoded = chunks(app)
            await pilot.pause(1.0)
            assert chunks(app) == decoded
            await pilot.press("p")
            await wait_for_audio(pilot, app, "audio after resuming", more_than=decoded + 3)
            assert app.state == "live"
            await pilot.press("q")

    run(flow())


def test_switch_source_keeps_the_transcript(
    tmp_path: Path, random_model_dir: Path, speech_wav: Path, null_sink: NullSink
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, random_model_dir, FfmpegSource(str(speech_wav)))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_audio(pilot, app)
            await pilot.press("s")
            assert isinstance(app.screen, PickerScreen)
            await pick(pilot, null_sink)
            await wait_for(pilot, lambda: app.state == "live" and shown_text(app), "the monitor")
            before = shown_text(app)  # the file's words, made final when it was stopped
            assert app.source_label.endswith(f"({null_sink.monitor})")
            await wait_for_audio(pilot, app, "monitor audio", more_than=chunks(app) + 3)
            assert shown_text(app).startswith(before)
            await pilot.press("q")
        journal = app.return_value
        assert journal is not None
        assert " ".join(s.text for s in read_journal(journal).segments).startswith(before)

    run(flow())


def test_a_model_that_cannot_load_shows_what_to_do(tmp_path: Path, speech_wav: Path) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, tmp_path / "no-model", FfmpegSource(str(speech_wav)))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the error screen")
            assert isinstance(app.screen, ErrorScreen)
            assert "no-model" in app.screen.message and "--model" in app.screen.todo
            await pilot.press("q")
        assert app.return_code == 0

    run(flow())


def test_an_audio_visual_model_that_cannot_load_names_its_files_and_fp32(
    tmp_path: Path, speech_wav: Path
) -> None:
    """The error screen lists the files of the model asked for, and the bar does not claim
    int8 for an engine that has none."""
    broken = tmp_path / "av-model"
    broken.mkdir()
    for name in AV_MODEL_FILES:
        (broken / name).write_bytes(b"not a model")

    async def flow() -> None:
        app = make_app(tmp_path, broken, FfmpegSource(str(speech_wav)))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the error screen")
            assert isinstance(app.screen, ErrorScreen)
            todo = app.screen.todo
            assert all(name in todo for name in AV_MODEL_FILES) and "config.json" not in todo
            bar = next(s for s in app.screen_stack if s.query(SessionBar)).query_one(SessionBar)
            assert "cpu fp32" in str(bar.render()) and "int8" not in str(bar.render())
            await pilot.press("q")

    run(flow())


def test_a_lost_device_is_reported_and_captions_resume_when_it_returns(
    tmp_path: Path, random_model_dir: Path, null_sink: NullSink
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, random_model_dir)
        async with app.run_test(size=SIZE) as pilot:
            await pick(pilot, null_sink)
            await wait_for_audio(pilot, app)
            null_sink.unload()
            await wait_for(pilot, lambda: app.state == "source lost", "the loss to be noticed")
            assert app.status_text[1] == "error" and "retrying" in app.status_text[0]
            assert any(n.severity == "error" for n in app._notifications)
            pactl("load-module", "module-null-sink", f"sink_name={null_sink.name}")
            await wait_for(pilot, lambda: app.state == "live", "the source to come back", 30)
            await wait_for_audio(pilot, app, "audio again", more_than=chunks(app))
            await pilot.press("q")

    run(flow())


def test_a_killed_capture_worker_is_reported_and_restarted(
    tmp_path: Path, random_model_dir: Path, speech_wav: Path
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, random_model_dir, FfmpegSource(str(speech_wav)))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_audio(pilot, app)
            (worker,) = [p for p in mp.active_children() if p.name == "captions-capture"]
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            await wait_for(pilot, lambda: app.state == "source lost", "the death to be noticed")
            assert "SIGKILL" in app.status_text[0] and app.is_running
            await wait_for(pilot, lambda: app.state == "live", "the restart", 30)
            await pilot.press("q")

    run(flow())


def test_a_source_that_cannot_open_keeps_the_app_running(
    tmp_path: Path, random_model_dir: Path
) -> None:
    async def flow() -> None:
        app = make_app(tmp_path, random_model_dir, FfmpegSource(str(tmp_path / "missing.wav")))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.state == "source lost", "the open error")
            assert "missing.wav" in app.status_text[0]
            await pilot.press("s")
            assert isinstance(app.screen, PickerScreen)
            await pilot.press("escape")
            assert app.is_running
            await pilot.press("q")

    run(flow())


def test_broken_theme_file_is_a_notification_and_themes_cycle(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "broken.toml").write_text("name = [")

    async def flow() -> None:
        app = make_app(tmp_path, tmp_path / "no-model")
        async with app.run_test(size=SIZE):
            assert app.theme == "captions-dark"
            assert any("broken.toml" in n.message for n in app._notifications)
            app.action_cycle_theme()
            assert app.theme != "captions-dark"
        assert f'theme = "{app.theme}"' in (tmp_path / "settings.toml").read_text()

    run(flow())


def test_a_theme_the_settings_name_that_is_gone_names_the_file_and_key(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('theme = "gone"\n')

    async def flow() -> None:
        app = make_app(tmp_path, tmp_path / "no-model")
        async with app.run_test(size=SIZE):
            assert app.theme == "captions-dark"
            assert any(
                n.message.startswith(f"settings file {settings}, 'theme': theme 'gone' not found")
                for n in app._notifications
            )

    run(flow())


def test_meeting_mode_captions_two_sinks_each_under_its_label(
    tmp_path: Path, tiny_model: Path, pulse_server: PulseServer
) -> None:
    """Two real capture workers on two null-sink monitors, two streams over the one tiny
    model: each sentence appears under its own label, and the journal keeps the labels."""
    from tui_captions.audio.devices import find_device, list_devices
    from tui_captions.pipeline.session import LabelledSource

    sinks = {"Ann": pulse_server.add_sink("tui_a"), "Bo": pulse_server.add_sink("tui_b")}
    texts = {"Ann": "the dog is green and the water is black", "Bo": "a big bird can sing"}
    devices = list_devices()
    sources = tuple(
        LabelledSource(find_device(sink.monitor, devices).source(), label, "system")
        for label, sink in sinks.items()
    )
    wavs = {label: espeak_wav(tmp_path / f"{label}.wav", text) for label, text in texts.items()}

    def said(app: CaptionsApp, label: str) -> set[str]:
        assert app.captions is not None
        pane = app.captions.query_one(TranscriptPane)
        return set(" ".join(s.text for s in pane.shown if s.channel == label).split())

    def heard(app: CaptionsApp, label: str) -> Callable[[], bool]:
        return lambda: len(said(app, label) & set(texts[label].split())) >= 3

    async def flow() -> None:
        app = CaptionsApp(
            AppOptions(
                model=str(tiny_model), beam=4, threads=1, sources=sources, punctuation=BUNDLED,
                sessions_dir=tmp_path / "sessions", settings_path=tmp_path / "settings.toml",
                user_themes_dir=tmp_path / "themes",
            )
        )  # fmt: skip
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.capturing == {"Ann", "Bo"}, "both sources live")
            players = [sinks[label].play(wav) for label, wav in wavs.items()]
            for label in texts:
                await wait_for(pilot, heard(app, label), f"{label}'s words under {label}")
            for player in players:
                player.wait(30)
            assert not said(app, "Ann") & {"bird", "sing"}
            assert not said(app, "Bo") & {"dog", "green", "water", "black"}
            assert app.captions is not None
            assert [m.label for m in app.captions.query(LevelMeter)] == ["Ann", "Bo"]
            await pilot.press("q")
        journal = app.return_value
        assert journal is not None
        assert read_journal(journal).channels == {"Ann": "Ann", "Bo": "Bo"}

    run(flow())


def test_record_saves_the_audio_beside_the_journal_and_the_bar_says_rec(
    tmp_path: Path, tiny_model: Path, sentence_wav: Path
) -> None:
    from tui_captions.audio.decode import decode_audio
    from tui_captions.transcript.sessions import recording_path

    async def flow() -> None:
        app = make_app(tmp_path, tiny_model, FfmpegSource(str(sentence_wav)), record=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.state == "ended", "the end of the file")
            assert app.captions is not None
            assert "REC" in str(app.captions.query_one(SessionBar).render())
            await pilot.press("q")
        journal = app.return_value
        assert journal is not None
        recorded = np.concatenate(list(decode_audio(str(recording_path(journal)), 16000)))
        heard = np.concatenate(list(decode_audio(str(sentence_wav), 16000)))
        assert abs(len(recorded) - len(heard)) <= 2560  # all of it, to the last chunk
        assert np.abs(recorded).max() > 0.05

    run(flow())


def test_the_app_drives_the_ctc_engine_as_it_drives_the_rnnt(
    tmp_path: Path, sentence_wav: Path
) -> None:
    """The tiny wav2vec2 CTC model on a file: the same screens, the words, the engine named."""
    ctc_model = Path(__file__).parents[1] / "fixtures" / "tiny-ctc"

    async def flow() -> None:
        app = make_app(tmp_path, ctc_model, FfmpegSource(str(sentence_wav)))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.state == "ended", "the end of the file")
            await pilot.pause()
            assert len(set(shown_text(app).split()) & WORDS) >= MIN_WORDS, shown_text(app)
            assert app.captions is not None
            assert "(ctc, cpu int8)" in str(app.captions.query_one(SessionBar).render())
            await pilot.press("q")
        journal = app.return_value
        assert journal is not None and read_journal(journal).segments

    run(flow())
