"""The app when captioning itself fails: a real capture worker and engine, a failing stream."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import time
from collections.abc import Callable
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.failing_stream import FailingStream
from tests.snapshots.fixed_app import FixedBackend
from tui_captions.asr.defaults import DownloadProgress
from tui_captions.asr.engine import AsrModel, DecodeOptions, RunOptions
from tui_captions.audio.protocol import FfmpegSource
from tui_captions.pipeline.channel import LiveEngine
from tui_captions.pipeline.recording import Recorder
from tui_captions.pipeline.session import ChannelEngine, only
from tui_captions.pipeline.speakers import SpeakerTap
from tui_captions.tui.app import AppOptions, CaptionsApp
from tui_captions.tui.backend import LevelProbe, Listener
from tui_captions.tui.screens.dialogs import ErrorScreen


class FailingBackend(FixedBackend):
    """The fixed backend, but each channel runs the real engine on a stream that fails."""

    def __init__(self) -> None:
        super().__init__()
        # As the real backend does: spawned later, from inside the app, it would fail.
        resource_tracker.ensure_running()

    def create_engine(
        self,
        model: AsrModel,
        options: DecodeOptions,
        listener: Listener,
        recorder: Recorder | None = None,
        speakers: SpeakerTap | None = None,
    ) -> ChannelEngine:
        return LiveEngine(FailingStream(good=2), listener)


def private_options(tmp_path: Path, **chosen: Any) -> AppOptions:
    """The app's options with its files kept under ``tmp_path``."""
    return AppOptions(
        model="emformer-librispeech",
        beam=4,
        threads=1,
        sessions_dir=tmp_path / "sessions",
        settings_path=tmp_path / "settings.toml",
        user_themes_dir=tmp_path / "themes",
        **chosen,
    )


def capture_workers() -> list[mp.process.BaseProcess]:
    return [p for p in mp.active_children() if p.name == "captions-capture"]


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15.0
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def test_a_failing_recognizer_is_shown_logged_and_r_starts_the_source_again(
    tmp_path: Path, speech_wav: Path
) -> None:
    options = private_options(tmp_path, sources=only(FfmpegSource(str(speech_wav), speed=4.0)))

    async def flow() -> None:
        app = CaptionsApp(options, backend=FailingBackend())
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.state == "failed", "the failure to be shown")
            text, severity = app.status_text
            assert severity == "error" and "captioning failed" in text and "r: start" in text
            (notice,) = [n for n in app._notifications if n.severity == "error"]
            assert "Press r" in notice.message and str(app.log_path) in notice.message
            assert "Traceback" in app.log_path.read_text()
            assert not capture_workers()
            await pilot.press("r")
            assert app.generation[""] == 2  # a new session of the source
            await wait_for(pilot, lambda: app.state == "failed", "the second failure")
            await pilot.press("q")

    asyncio.run(flow())


def test_a_failing_level_meter_is_logged_said_and_frees_the_source(
    tmp_path: Path, speech_wav: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 36: a meter that failed was only logged, so the picker's meter just froze."""

    def broken_meter(rms: float, peak: float, overflow: bool) -> None:
        raise RuntimeError("the meter is gone")

    said: queue.Queue[str] = queue.Queue()
    probe = LevelProbe(FfmpegSource(str(speech_wav)), broken_meter, said.put)
    failure = said.get(timeout=10)  # naming the log file where the app has one
    assert failure.startswith("the level meter failed: RuntimeError('the meter is gone')")
    probe.stop(wait=True)
    (logged,) = [r for r in caplog.records if r.exc_info is not None]
    assert logged.name == "tui_captions.tui.backend" and "the meter is gone" in caplog.text
    assert not capture_workers()
    missing = tmp_path / "unplugged.wav"
    probe = LevelProbe(FfmpegSource(str(missing)), broken_meter, said.put)
    assert str(missing) in said.get(timeout=10)  # a source that cannot be read: why
    probe.stop(wait=True)


class BrokenLoader(FixedBackend):
    """A model load that fails with a bug, not a user error."""

    def load_model(
        self, spec: str, run: RunOptions, decode: DecodeOptions, progress: DownloadProgress
    ) -> AsrModel:
        raise RuntimeError("the loader is broken")


def test_a_model_load_that_fails_with_a_bug_logs_its_traceback_and_names_the_log(
    tmp_path: Path,
) -> None:
    options = private_options(tmp_path)

    async def flow() -> None:
        app = CaptionsApp(options, backend=BrokenLoader())
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the error screen")
            assert isinstance(app.screen, ErrorScreen)
            assert app.screen.message.endswith(f"the loader is broken') (log: {app.log_path})")
            assert "RuntimeError: the loader is broken" in app.log_path.read_text()
            await pilot.press("q")

    asyncio.run(flow())
