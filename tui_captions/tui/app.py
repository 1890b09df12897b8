"""The captions app: wiring between screens, the model loader, the engine and the journal.

Nothing heavy is imported here: torch and the model load in a thread worker
after the first paint, and every background thread talks to the app only by
posting messages. All worker failures go through one handler
(:meth:`CaptionsApp.on_worker_state_changed`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui_captions.asr.defaults import DEFAULT_QUANTIZE
from tui_captions.config import Settings, load_settings, save_settings
from tui_captions.errors import UserError
from tui_captions.transcript.readable import readable
from tui_captions.tui.backend import Backend, EngineHandle, ProbeHandle, RealBackend
from tui_captions.tui.messages import EngineUpdate, Levels, ModelLoaded, ModelProgress, SourceState
from tui_captions.tui.screens.dialogs import (
    ErrorScreen,
    HelpScreen,
    KeyCommand,
    SaveDialog,
    SaveRequest,
)
from tui_captions.tui.screens.main import MainScreen
from tui_captions.tui.screens.picker import PickerScreen
from tui_captions.tui.session import TranscriptSession
from tui_captions.tui.themes import DEFAULT_THEME, ThemeSet, app_variable_defaults, discover_themes
from tui_captions.tui.widgets.bars import SessionBar, Severity, StatusLine
from tui_captions.tui.widgets.latency import LatencyPane, LatencySample
from tui_captions.tui.widgets.levels import LevelMeter
from tui_captions.tui.widgets.transcript import TranscriptPane

if TYPE_CHECKING:
    from tui_captions.audio.devices import CaptureDevice
    from tui_captions.audio.protocol import Source
    from tui_captions.transcript.journal import SessionJournal

RETRY_SECONDS = 3.0
MODEL_HELP = (
    "What to do: check the --model value (a model name or a model directory holding "
    "config.json, model.pt, tokenizer.model and global_stats.json). Offline, point "
    "--model at a local model directory; `captions-tui demo` works with no download."
)

KEYS = (
    KeyCommand("p", "toggle_pause", "Pause", "Pause or resume captioning (frees the device)"),
    KeyCommand("ctrl+s", "save", "Save", "Save the transcript: choose format and file"),
    KeyCommand("s", "switch_source", "Source", "Pick another source; the transcript goes on"),
    KeyCommand(
        "c", "clear_view", "Clear", "Clear the view (the saved transcript keeps all)", footer=False
    ),
    KeyCommand("t", "cycle_theme", "Theme", "Next theme (remembered for next time)"),
    KeyCommand(
        "f,end", "toggle_follow", "Follow", "Follow new text, or stay where you are", footer=False
    ),
    KeyCommand("question_mark", "help", "Help", "Show the keys", display="?"),
    KeyCommand("q", "quit", "Quit", "Quit; the transcript stays saved in the sessions folder"),
)


@dataclass(frozen=True)
class AppOptions:
    """What the command line decided; tests and the snapshot factory build these directly."""

    model: str
    beam: int
    threads: int
    quantize: str = DEFAULT_QUANTIZE
    source: Source | None = None
    theme: str | None = None
    demo: bool = False
    sessions_dir: Path | None = None
    settings_path: Path | None = None
    user_themes_dir: Path | None = None


class CaptionsScreen(MainScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.key, f"app.{k.action}", k.label, show=k.footer, key_display=k.display)
        for k in KEYS
    ]


class CaptionsApp(App[Path | None]):
    """Returns the session journal's path (None if nothing was captioned)."""

    TITLE = "captions-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        options: AppOptions,
        backend: Backend | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.backend: Backend = backend or RealBackend()
        self.clock = clock
        self.theme_set: ThemeSet = discover_themes(options.user_themes_dir)
        self.settings, self._settings_problem = load_settings(options.settings_path)
        super().__init__()
        for theme in self.theme_set.themes:
            self.register_theme(theme)
        self.model: Any = None
        self.model_name = options.model
        self.chunk_seconds: float | None = None
        self.source: Source | None = options.source
        self.engine: EngineHandle | None = None
        self.probe: ProbeHandle | None = None
        self.generation = 0
        self.run_offset = 0.0
        self.paused = False
        self.started_at = clock()
        self.session = TranscriptSession(self._open_journal)
        self._retry: Timer | None = None

    # -- start-up -------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        colors = self.current_theme.to_color_system().generate()
        return {**super().get_theme_variable_defaults(), **app_variable_defaults(colors)}

    async def on_mount(self) -> None:
        self.theme = self._initial_theme()
        for problem in [*self.theme_set.problems, self._settings_problem]:
            if problem:
                self.notify(problem, title="Theme or settings file", severity="warning", timeout=10)
        await self.push_screen(CaptionsScreen(display=readable, demo=self.options.demo))
        self.captions.query_one(SessionBar).model = self.model_name
        self.set_interval(1.0, self._tick)
        self.status("Loading the model…")
        self.load_model()
        if self.source is None:
            self.push_screen(PickerScreen(), self._picked)
        else:
            self._show_source()

    def _initial_theme(self) -> str:
        names = self.theme_set.names()
        wanted = self.options.theme or self.settings.theme or DEFAULT_THEME
        if wanted in names:
            return wanted
        self.notify(
            f"Theme {wanted!r} not found (have: {', '.join(names)}); using {DEFAULT_THEME}.",
            severity="warning",
        )
        return DEFAULT_THEME

    @work(thread=True, exclusive=True, group="model", exit_on_error=False)
    def load_model(self) -> None:
        started = time.perf_counter()

        def progress(label: str, done: int, total: int | None) -> None:
            self.post_message(ModelProgress(label, done, total))

        options = self.options
        model = self.backend.load_model(options.model, options.threads, options.quantize, progress)
        self.post_message(ModelLoaded(model, self.options.model, time.perf_counter() - started))

    def on_model_progress(self, message: ModelProgress) -> None:
        mb = 1024 * 1024
        if message.total:
            share = f"{100 * message.done / message.total:.0f}% of {message.total / mb:.0f} MB"
        else:
            share = f"{message.done / mb:.1f} MB"
        self.status(f"Downloading the model (first use only): {message.label} {share}")

    def on_model_loaded(self, message: ModelLoaded) -> None:
        self.model = message.model
        self.chunk_seconds = self.backend.chunk_seconds(message.model)
        self.captions.query_one(LatencyPane).start(self.chunk_seconds)
        self.status(f"Model {message.name} loaded in {message.seconds:.1f} s.")
        if self.source is not None and not self.paused:
            self.start_engine()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place background failures land."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = str(error) if isinstance(error, UserError) else f"unexpected error: {error!r}"
        if event.worker.group == "model":
            self.push_screen(ErrorScreen("The model could not be loaded", text, MODEL_HELP))
        else:
            self.notify(text, title="Error", severity="error", timeout=10)
            self.status(text, "error")

    # -- sources and the engine ----------------------------------------------

    @property
    def captions(self) -> CaptionsScreen:
        return next(s for s in self.screen_stack if isinstance(s, CaptionsScreen))

    def _picked(self, device: CaptureDevice | None) -> None:
        if device is not None:
            self.use_source(device.source())

    def use_source(self, source: Source) -> None:
        """Caption ``source`` from now on, in the same session."""
        self.source = source
        self.paused = False
        self._show_source()
        if self.model is not None:
            self.start_engine()
        else:
            self.status(f"Loading the model; captions of {source.label} start when it is ready.")

    def _show_source(self) -> None:
        assert self.source is not None
        self.captions.query_one(SessionBar).source = self.source.label

    def start_engine(self) -> None:
        assert self.source is not None and self.model is not None
        self.stop_engine()
        self.generation += 1
        self.run_offset = self.elapsed()
        generation = self.generation
        self.captions.query_one(SessionBar).state = "starting"
        self.engine = self.backend.start_engine(
            self.model,
            self.source,
            self.options.beam,
            on_update=lambda update: self.post_message(EngineUpdate(update, generation)),
            on_state=lambda **kw: self.post_message(SourceState(generation, **kw)),
        )

    def stop_engine(self) -> None:
        if self._retry is not None:
            self._retry.stop()
            self._retry = None
        if self.engine is not None:
            engine, self.engine = self.engine, None
            engine.stop()

    def on_engine_update(self, message: EngineUpdate) -> None:
        if message.generation != self.generation:
            return
        update = message.update
        screen = self.captions
        pane = screen.query_one(TranscriptPane)
        for segment in update.finals:
            pane.add_final(self.session.add(segment, self.run_offset))
        pane.set_partial(update.partial)
        screen.query_one(LevelMeter).show(update.rms_dbfs, update.peak_dbfs, update.overflow)
        screen.query_one(LatencyPane).add(
            LatencySample(update.latency_ms, update.compute_ms, update.queue_depth, update.dropped)
        )
        self.session.record(update.latency_ms, update.compute_ms)

    def on_source_state(self, message: SourceState) -> None:
        if message.generation != self.generation:
            return
        bar = self.captions.query_one(SessionBar)
        if message.started is not None:
            bar.state = "live"
            self.status(f"Listening to {message.started}.")
        elif message.error is not None:
            bar.state = "source lost"
            self.engine = None
            self.notify(message.error, title="Capture stopped", severity="error", timeout=8)
            self.status(
                f"{message.error} · retrying every {RETRY_SECONDS:.0f} s · s: pick another source",
                "error",
            )
            self._retry = self.set_timer(RETRY_SECONDS, self._retry_source)
        elif message.ended:
            bar.state = "ended"
            self.engine = None
            self.status("The input ended. s: pick another source · ctrl+s: save · q: quit")

    def _retry_source(self) -> None:
        self._retry = None
        if self.source is not None and self.model is not None and not self.paused:
            self.start_engine()

    def start_probe(self, device: CaptureDevice, target: Screen[Any]) -> None:
        self.stop_probe()
        self.probe = self.backend.start_probe(
            device.source(), lambda rms, peak, over: target.post_message(Levels(rms, peak, over))
        )

    def stop_probe(self) -> None:
        if self.probe is not None:
            probe, self.probe = self.probe, None
            probe.stop()

    # -- commands ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, CaptionsScreen):
            for key in KEYS:
                yield SystemCommand(key.label, key.help, partial(self.run_action, key.action))

    def action_toggle_pause(self) -> None:
        bar = self.captions.query_one(SessionBar)
        if self.paused:
            self.paused = False
            if self.source is not None and self.model is not None:
                self.start_engine()
                self.status("Resumed.")
        else:
            self.paused = True
            self.stop_engine()
            bar.state = "paused"
            self.captions.query_one(TranscriptPane).set_partial("")
            self.status("Paused: the device is free. p: resume")

    def action_switch_source(self) -> None:
        def picked(device: CaptureDevice | None) -> None:
            if device is not None:
                self.use_source(device.source())

        self.push_screen(PickerScreen(cancellable=True), picked)

    def action_clear_view(self) -> None:
        self.captions.query_one(TranscriptPane).clear_view()

    def action_toggle_follow(self) -> None:
        pane = self.captions.query_one(TranscriptPane)
        pane.following = not pane.following

    def action_cycle_theme(self) -> None:
        names = self.theme_set.names()
        position = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(position + 1) % len(names)]
        self.settings = Settings(theme=self.theme)
        problem = save_settings(self.settings, self.options.settings_path)
        self.notify(
            problem or f"Theme: {self.theme}", severity="warning" if problem else "information"
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen(KEYS))

    def action_save(self) -> None:
        journal = self.session.ensure_journal()
        self.push_screen(SaveDialog(journal.path.parent, journal.id), self._save)

    def _save(self, request: SaveRequest | None) -> None:
        if request is None:
            return
        from tui_captions.transcript.exports import export_session

        journal = self.session.ensure_journal()
        try:
            request.path.parent.mkdir(parents=True, exist_ok=True)
            with request.path.open("w", encoding="utf-8") as out:
                export_session(journal.session(), request.fmt, out)
        except OSError as exc:
            self.notify(f"Not saved: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Saved {len(self.session.segments)} segments to {request.path}")
        self.status(f"Saved to {request.path}")

    async def action_quit(self) -> None:
        self.stop_probe()
        self.stop_engine()
        journal = self.session.journal
        if journal is not None:
            journal.close(self.session.stats(self.chunk_seconds))
        self.exit(journal.path if journal is not None else None)

    # -- helpers -------------------------------------------------------------

    def _open_journal(self) -> SessionJournal:
        from tui_captions.transcript.journal import SessionJournal

        return SessionJournal.create(
            source=self.source.label if self.source else "",
            model=self.model_name,
            directory=self.options.sessions_dir,
            on_warning=lambda text: self.notify(text, severity="warning", timeout=10),
        )

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def _tick(self) -> None:
        self.captions.query_one(SessionBar).elapsed = self.elapsed()

    def status(self, text: str, severity: Severity = "information") -> None:
        self.captions.query_one(StatusLine).show(text, severity)
