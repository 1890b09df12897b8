"""The captions app: wiring between screens, the model loader, the engine and the journal.

Nothing heavy is imported here: torch and the model load in a thread worker
after the first paint, and every background thread talks to the app only by
posting messages. All worker failures go through one handler
(:meth:`CaptionsApp.on_worker_state_changed`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tui_captions import paths
from tui_captions.asr.defaults import DEFAULT_COMPUTE, is_audio_visual
from tui_captions.asr.hotwords import HotwordError
from tui_captions.config import (
    DEFAULT_STRIP_LINES,
    HotwordChoice,
    Settings,
    load_settings,
    save_settings,
)
from tui_captions.core import heap, logfile, timefmt
from tui_captions.core.names import short_name
from tui_captions.core.watch import watched
from tui_captions.errors import UserError
from tui_captions.pipeline.session import (
    CaptionSession,
    ChannelId,
    LabelledSource,
    beside,
    channel_ids,
    for_model,
    labelled_devices,
    only,
)
from tui_captions.signals import STOP_SIGNALS, detach_terminal
from tui_captions.tui.backend import Backend, ProbeHandle, RealBackend
from tui_captions.tui.messages import EngineEvent, Levels, ModelLoaded, ModelProgress, PostLoaded
from tui_captions.tui.screens.dialogs import (
    ErrorScreen,
    HelpScreen,
    KeyCommand,
    SaveDialog,
    SaveRequest,
    model_help,
)
from tui_captions.tui.screens.main import MainScreen
from tui_captions.tui.screens.picker import Picked, PickerScreen
from tui_captions.tui.themes import DEFAULT_THEME, ThemeSet, app_variable_defaults, discover_themes
from tui_captions.tui.widgets.bars import SessionBar, Severity, StatusLine
from tui_captions.tui.widgets.camera import CameraPane
from tui_captions.tui.widgets.figures import SessionFigures
from tui_captions.tui.widgets.transcript import TranscriptPane
from tui_captions.web import publish

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel
    from tui_captions.audio.cameras import CameraDevice
    from tui_captions.audio.protocol import Source
    from tui_captions.core.events import LiveEvent, RecognizerUpdate
    from tui_captions.core.segments import Segment
    from tui_captions.pipeline.recording import Recorder
    from tui_captions.web.server import CaptionServer

_log = logging.getLogger(__name__)
RETRY_SECONDS = 3.0
HANGUP_EXIT_S = 1.0  # after a hang-up, the saved session exits by then at the latest

KEYS = (
    KeyCommand(
        "p", "toggle_pause", "Pause", "Pause or resume (frees the device; a file input starts over)"
    ),
    KeyCommand("ctrl+s", "save", "Save", "Save the transcript: choose format and file"),
    KeyCommand("s", "switch_source", "Source", "Pick another source; the transcript goes on"),
    KeyCommand(
        "r", "restart_sources", "Restart", "Start a source that stopped again", footer=False
    ),
    KeyCommand(
        "c", "clear_view", "Clear", "Clear the view (the saved transcript keeps all)", footer=False
    ),
    KeyCommand("t", "cycle_theme", "Theme", "Next theme (remembered for next time)", footer=False),
    KeyCommand("z", "toggle_strip", "Strip", "Caption strip: only the last lines, the whole width"),
    KeyCommand(
        "f,end", "toggle_follow", "Follow", "Follow new text, or stay where you are", footer=False
    ),
    KeyCommand(
        "slash", "search", "Search", "Search the transcript; n / N: next / previous", display="/"
    ),
    KeyCommand("n", "search_next(1)", "Next", "Next match of the search", footer=False),
    KeyCommand("N", "search_next(-1)", "Previous", "Previous match", footer=False),
    KeyCommand("escape", "end_search", "End search", "End the search", footer=False),
    KeyCommand("question_mark", "help", "Help", "Show the keys", display="?"),
    KeyCommand("q", "quit", "Quit", "Quit; the transcript stays saved in the sessions folder"),
)


@dataclass(frozen=True)
class AppOptions:
    """What the command line decided; tests and the snapshot factory build these directly."""

    model: str
    beam: int
    threads: int
    quantize: str | None = None  # None: the settings file's, else the default
    endpoint_silence: float | None = None  # likewise
    max_segment: float | None = None
    decoder: str | None = None  # CTC models: greedy or beam (None: the model's choice)
    lm: str | None = None
    watch: str | None = None  # --watch; None: the settings file's list
    punctuation: str | None = None  # --punctuation; None: the settings file's, else the default
    hotwords: HotwordChoice = field(default_factory=HotwordChoice)  # --hotwords and friends
    serve: str | None = None  # --serve [HOST:]PORT: the captions in a browser too
    record: bool = False  # also save the audio next to the journal (one source)
    strip_lines: int | None = None  # --lines; None: the settings file's, else 3
    clear_after: float | None = None  # --clear-after; None: the settings file's, else never
    compute: str = DEFAULT_COMPUTE
    sources: tuple[LabelledSource, ...] = ()  # none: the user picks in the picker
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

    def on_mount(self) -> None:
        app = self.app
        assert isinstance(app, CaptionsApp)
        app.show_channels(self)
        app.sync_screens()


class CaptionsApp(App[Path | None]):
    """Returns the session journal's path (None if nothing was captioned)."""

    TITLE = "captions-tui"

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
        self.settings, self._settings_problems = load_settings(options.settings_path)
        self.run_options = self.settings.run_options(
            options.threads, options.quantize, options.compute
        )
        if is_audio_visual(options.model):  # no int8: the bar says fp32 before it loads too
            self.run_options = dataclasses.replace(self.run_options, quantize="none")
        self.watch_words = self.settings.watch_words(options.watch)
        self._hotword_problem: str | None = None
        try:
            hotwords = self.settings.hotword_list(options.hotwords, options.watch)
        except HotwordError as exc:
            hotwords, self._hotword_problem = (), f"{exc}; captions go on without hotwords"
        self.decode_options = self.settings.decode_options(
            options.beam,
            options.endpoint_silence,
            options.max_segment,
            options.decoder,
            options.lm,
            hotwords,
        )
        super().__init__()
        for theme in self.theme_set.themes:
            self.register_theme(theme)
        self.model_name = options.model
        self.model: AsrModel | None = None
        self.engine_label: str | None = None  # known once the model is loaded
        self.session = CaptionSession(
            options.model,
            directory=options.sessions_dir,
            on_warning=lambda text: self.notify(text, severity="warning", timeout=10),
        )
        self.sources: dict[ChannelId, LabelledSource] = self._by_channel(options.sources)
        """What is captioned, by channel: "" for one source, else each source's label."""
        self.probe: ProbeHandle | None = None
        self.generation: dict[ChannelId, int] = {}
        """Counts each channel's source sessions; an older one only delivers its final text."""
        self.paused = False
        self.started_at = clock()
        self.state = "starting"
        self.status_text: tuple[str, Severity] = ("Loading the model…", "information")
        self._retry: dict[ChannelId, Timer] = {}
        self.recorder: Recorder | None = None
        self.watch_hits = 0
        self.words_said = 0  # in the session's final lines: counted once each, not per chunk
        self.strip = False
        self.strip_lines = options.strip_lines or self.settings.strip_lines or DEFAULT_STRIP_LINES
        self.clear_after = options.clear_after or self.settings.clear_after
        self._clear_timer: Timer | None = None
        self.capturing: set[ChannelId] = set()
        """Channels whose source has started and not ended."""
        self.server: CaptionServer | None = None
        self.seen_face = False  # an audio-visual model has had a face to read
        self._exit_status = 0
        self.log_path = logfile.ensure(paths.log_file())
        """Where failures on the app's own threads are logged (Textual hides stderr)."""

    # -- start-up -------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        colors = self.current_theme.to_color_system().generate()
        return {**super().get_theme_variable_defaults(), **app_variable_defaults(colors)}

    async def on_mount(self) -> None:
        if not self.is_headless:  # a real terminal (Pilot tests share pytest's process)
            loop = asyncio.get_running_loop()
            for signum in STOP_SIGNALS:
                loop.add_signal_handler(signum, self.stop_on_signal, signum)
        self.theme = self._initial_theme()
        for problem in [*self.theme_set.problems, *self._settings_problems]:
            self.notify(problem, title="Theme or settings file", severity="warning", timeout=10)
        if self._hotword_problem:
            self.notify(self._hotword_problem, title="Hotwords", severity="warning", timeout=10)
        if self.options.serve is not None:
            self.start_server(self.options.serve)
        self.set_interval(1.0, self.sync_screens)
        # After the first paint: importing torch in a thread still competes for the GIL.
        self.call_after_refresh(self.load_model)
        if not self.sources:
            self.push_screen(self._picker(), self._picked)
        else:
            await self.push_screen(self._new_captions_screen())

    def _initial_theme(self) -> str:
        names = self.theme_set.names()
        wanted = self.options.theme or self.settings.theme or DEFAULT_THEME
        if wanted in names:
            return wanted
        where = "--theme" if self.options.theme else self.settings.key("theme")
        self.notify(
            f"{where}: theme {wanted!r} not found (have: {', '.join(names)}); "
            f"using {DEFAULT_THEME}.",
            severity="warning",
        )
        return DEFAULT_THEME

    def start_server(self, serve: str) -> None:
        """The captions in a browser too; a port that cannot be had is a notification."""
        try:
            self.server = publish.start_server(serve)
        except UserError as exc:
            self.notify(str(exc), title="Web captions", severity="error", timeout=10)
            return
        if self.server is not None:
            self.session.subscribe(publish.WebSink(self.server))
            self.notify(
                f"Captions in a browser: {self.server.url}", title="Web captions", timeout=15
            )

    @work(thread=True, exclusive=True, group="model", exit_on_error=False)
    def load_model(self) -> None:
        def progress(label: str, done: int, total: int | None) -> None:
            self.post_message(ModelProgress(label, done, total))

        options = self.options
        decode = self.decode_options
        # Hotwords the model cannot use are a notification, not a failed load: loaded
        # without them, then tried.
        without = dataclasses.replace(decode, hotwords=())
        model = self.backend.load_model(options.model, self.run_options, without, progress)
        if decode.hotwords:
            try:
                model.create_stream(decode)
            except HotwordError as exc:
                self._notice(f"{exc}; captions go on without hotwords")
                self.decode_options = without
        self.post_message(ModelLoaded(model, options.model))
        # Then the punctuation model: lines keep sentence case until it is ready.
        spec, notice = self.settings.punctuation_choice(options.punctuation, self._notice)
        post = self.backend.load_post(spec, notice, progress)
        self.post_message(PostLoaded(post))

    def _notice(self, text: str) -> None:
        """A warning from a worker thread."""
        self.call_from_thread(self.notify, text, severity="warning", timeout=10)

    def on_post_loaded(self, message: PostLoaded) -> None:
        self.session.post = message.post

    def on_model_progress(self, message: ModelProgress) -> None:
        mb = 1024 * 1024
        if message.total:
            share = f"{100 * message.done / message.total:.0f}% of {message.total / mb:.0f} MB"
        else:
            share = f"{message.done / mb:.1f} MB"
        self.status(f"Downloading the model (first use only): {message.label} {share}")

    def on_model_loaded(self, message: ModelLoaded) -> None:
        heap.settle()  # full collections must not walk the model and the app, line after line
        self.model = message.model
        self.engine_label = message.model.engine
        self.status(f"Model {message.name} is ready.")
        if isinstance(self.screen, PickerScreen) and (cameras := self._camera_lister()):
            self.screen.offer_cameras(cameras)
        if self.sources and not self.paused:
            self.start_sources()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place background failures land."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, UserError):
            _log.debug("%s: %s", event.worker.name, error)
            text = str(error)
        else:
            _log.error("%s failed", event.worker.name, exc_info=error)
            text = f"unexpected error: {error!r}"
        text = logfile.mention(text)
        if event.worker.group == "model":
            todo = model_help(is_audio_visual(self.model_name))
            self.push_screen(ErrorScreen("The model could not be loaded", text, todo))
        else:
            self.notify(text, title="Error", severity="error", timeout=10)
            self.status(text, "error")

    # -- sources and the engine ----------------------------------------------

    @property
    def captions(self) -> CaptionsScreen | None:
        """The captions screen, once a source has been chosen."""
        return next((s for s in self.screen_stack if isinstance(s, CaptionsScreen)), None)

    def _new_captions_screen(self) -> CaptionsScreen:
        return CaptionsScreen(demo=self.options.demo, watch=self.watch_words)

    @staticmethod
    def _by_channel(sources: Iterable[LabelledSource]) -> dict[ChannelId, LabelledSource]:
        chosen = list(sources)
        return dict(zip(channel_ids(chosen), chosen, strict=True)) if chosen else {}

    @property
    def source_label(self) -> str:
        """What the session bar names: the source, or the labels of several."""
        if list(self.sources) == [""]:
            return self.sources[""].source.label
        return ", ".join(self.sources) or "-"

    def show_channels(self, screen: CaptionsScreen) -> None:
        """Give ``screen`` a meter and a latency figure for each source, labelled if several."""
        channels = [(c, self.session.channels.get(c)) for c in self.sources] or [("", None)]
        screen.set_channels(
            [(c, channel.stats if channel is not None else None) for c, channel in channels]
        )

    def _captions(self) -> CaptionsScreen:
        screen = self.captions
        assert screen is not None, "caption commands run only on the captions screen"
        return screen

    def _picker(self, cancellable: bool = False) -> PickerScreen:
        """The device picker; with the cameras too once the model is known to read lips."""
        return PickerScreen(self.backend.list_devices, cancellable, self._camera_lister())

    def _camera_lister(self) -> Callable[[], list[CameraDevice]] | None:
        wants_video = self.model is not None and self.model.format.wants_video
        return self.backend.list_cameras if wants_video else None

    async def _picked(self, picked: Picked | None) -> None:
        self.stop_probe(wait=True)  # some devices can be opened only once
        if picked and picked.devices:
            sources = labelled_devices(picked.devices)
            if picked.camera is not None:
                sources = beside(sources, picked.camera)  # the picker allows one source
            await self.use_sources(sources)

    async def use_source(self, source: Source) -> None:
        """Caption ``source`` alone from now on, in the same session and transcript."""
        await self.use_sources(list(only(source)))

    async def use_sources(self, sources: list[LabelledSource]) -> None:
        """Caption ``sources`` from now on (several: meeting mode), in the same session."""
        self.stop_sources()
        self.sources = self._by_channel(sources)
        self.paused = False
        if self.captions is None:
            await self.push_screen(self._new_captions_screen())
        else:
            self.show_channels(self._captions())
        if self.model is not None:
            self.start_sources()
        else:
            self.status(
                f"Loading the model; captions of {self.source_label} start when it is ready."
            )

    def start_sources(self) -> None:
        """(Re)start every chosen source, each on its channel, creating channels as needed;
        a source the model cannot read (a microphone without a camera for an audio-visual
        model) is said once, and nothing starts."""
        assert self.model is not None
        try:
            paired = for_model(list(self.sources.values()), self.model.format.wants_video)
        except UserError as exc:
            self.notify(str(exc), title="This source cannot feed this model", severity="error")
            self.status(f"{exc} · s: pick another source", "error")
            return
        self.sources = self._by_channel(paired)
        for channel_id, chosen in self.sources.items():
            self.start_source(channel_id, chosen)
        if (screen := self.captions) is not None:
            self.show_channels(screen)

    def start_source(self, channel_id: ChannelId, chosen: LabelledSource) -> None:
        assert self.model is not None
        if channel_id not in self.session.channels:
            engine = self.backend.create_engine(
                self.model,
                self.decode_options,
                partial(self._listen, channel_id),
                self._recorder_for(channel_id),
            )
            self.session.add_channel(
                channel_id, chosen.label, engine, self.model.format.chunk_seconds, chosen.role
            )
        self.stop_source(channel_id)
        self.generation[channel_id] = self.generation.get(channel_id, 0) + 1
        self.set_state("starting")
        self.session.start(channel_id, chosen.source)

    def _recorder_for(self, channel_id: ChannelId) -> Recorder | None:
        """With --record, the one source's audio goes beside the journal, as in ``live``."""
        if not self.options.record or self.recorder is not None or self.model is None:
            return None
        if channel_id:
            self.notify("--record records one source; this meeting is not recorded.")
            return None
        from tui_captions.pipeline.recording import Recorder
        from tui_captions.transcript.sessions import recording_path

        path = recording_path(self.session.journal.path)
        self.recorder = Recorder(
            path,
            self.model.format.sample_rate,
            on_warning=lambda text: self.notify(text, severity="warning", timeout=10),
        )
        return self.recorder

    def stop_sources(self) -> None:
        for channel_id in list(self.session.channels):
            self.stop_source(channel_id)

    def stop_source(self, channel_id: ChannelId) -> None:
        """End the channel's running source session; its last words arrive as a final event."""
        if (retry := self._retry.pop(channel_id, None)) is not None:
            retry.stop()
        if channel_id in self.session.channels:
            self.session.stop(channel_id)

    def _listen(self, channel_id: ChannelId, event: LiveEvent) -> None:
        """A channel's engine listener, on its inference thread."""
        self.post_message(EngineEvent(event, self.generation.get(channel_id, 0), channel_id))

    def on_engine_event(self, message: EngineEvent) -> None:
        from tui_captions.core.events import (
            RecognizerUpdate,
            SourceEnded,
            SourceQuiet,
            SourceStarted,
        )

        event, channel_id = message.event, message.channel
        current = message.generation == self.generation.get(channel_id)
        screen = self._captions()
        pane = screen.query_one(TranscriptPane)
        # Journaled and handed to the session's sinks (the web page); never lost, even if stale.
        for segment in self.session.accept(channel_id, event, current):
            pane.add_final(segment)
            self.words_said += len(segment.text.split())
            self._text_came()
            if hits := watched(segment.text, self.watch_words):
                self.watch_hits += 1
                self._watch_word(segment, hits)
        self._show_figures(screen)
        if isinstance(event, RecognizerUpdate) and current and event.faces is not None:
            self._saw(screen, event)
        if isinstance(event, RecognizerUpdate) and current:
            text = self.session.partial_text(channel_id)  # as every sink has it
            if text and text != pane.partials.get(channel_id, ""):
                self._text_came()
            pane.set_partial(text, channel_id)
            screen.meter(channel_id).show(event.rms_dbfs, event.peak_dbfs, event.overflow)
            screen.latency(channel_id).add(event)
        elif isinstance(event, SourceStarted) and current:
            self.capturing.add(channel_id)
            self.set_state("live")
            self.status(f"Listening to {event.summary}.")
        elif isinstance(event, SourceQuiet):
            pane.set_partial("", channel_id)
        elif isinstance(event, SourceEnded):
            pane.set_partial("", channel_id)
            if current:
                self.capturing.discard(channel_id)
                self._source_ended(channel_id, event.reason, event.error)

    def _saw(self, screen: CaptionsScreen, event: RecognizerUpdate) -> None:
        """An audio-visual source's window: its face crop on the camera pane."""
        assert self.model is not None and event.faces is not None
        screen.add_class("-av")
        screen.query_one(CameraPane).show(
            event.face, event.faces, self.model.format.frames_per_chunk
        )
        if not self.seen_face and event.faces:
            self.seen_face = True
            self.status("A face is in view: the model reads the lips too.")
        elif not self.seen_face:
            self.status("no face in view yet: captions from the audio alone", "warning")

    def _show_figures(self, screen: CaptionsScreen) -> None:
        figures = screen.query_one(SessionFigures)
        session = self.session
        figures.lines, figures.words = session.final_count, self.words_said
        figures.watched = self.watch_hits
        if session.journal_if_open is not None:
            figures.journal = "every line saved"

    def _watch_word(self, segment: Segment, hits: list[str]) -> None:
        who = f"{segment.channel}: " if segment.channel else ""
        self.notify(
            f"{timefmt.elapsed(segment.start)}  {who}{segment.shown()}",
            title=f"Said: {', '.join(hits)}",
            timeout=10,
        )
        if self.settings.watch_bell is not False:
            self.bell()

    def _source_ended(self, channel_id: ChannelId, reason: str, error: str | None) -> None:
        lead = f"{channel_id}: " if channel_id else ""
        if reason == "failed":  # a bug: trying again by itself would fail again
            self.set_state("failed")
            text = f"{lead}{error}"
            self.notify(
                f"{text}. Press r to start it again; what failed is in {self.log_path}",
                title="Captioning stopped",
                severity="error",
                timeout=15,
            )
            self.status(f"{text} · r: start it again · s: pick another source", "error")
        elif reason == "error":
            self.set_state("source lost")
            text = f"{lead}{error or 'the capture stopped'}"
            self.notify(text, title="Capture stopped", severity="error", timeout=8)
            self.status(
                f"{text} · retrying every {RETRY_SECONDS:.0f} s · s: pick another source", "error"
            )
            self._retry[channel_id] = self.set_timer(
                RETRY_SECONDS, partial(self._retry_source, channel_id)
            )
        elif reason == "end":
            if not self.capturing:
                self.set_state("ended")
            self.status(f"{lead}The input ended. s: pick another source · ctrl+s: save · q: quit")

    def _retry_source(self, channel_id: ChannelId) -> None:
        self._retry.pop(channel_id, None)
        chosen = self.sources.get(channel_id)
        if chosen is not None and self.model is not None and not self.paused:
            self.start_source(channel_id, chosen)

    def on_picker_screen_shown(self) -> None:
        self.sync_screens()

    def on_picker_screen_probe_wanted(self, message: PickerScreen.ProbeWanted) -> None:
        self.stop_probe()
        if message.device is not None and message.picker.is_attached:
            picker = message.picker
            self.probe = self.backend.start_probe(
                message.device.source(),
                lambda rms, peak, over: picker.post_message(Levels(rms, peak, over)),
            )

    def stop_probe(self, wait: bool = False) -> None:
        if self.probe is not None:
            probe, self.probe = self.probe, None
            probe.stop(wait)

    # -- commands ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, CaptionsScreen):
            for key in KEYS:
                yield SystemCommand(key.label, key.help, partial(self.run_action, key.action))

    def action_toggle_pause(self) -> None:
        if self.paused:
            self.paused = False
            if self.sources and self.model is not None:
                self.start_sources()
                self.status("Resumed.")
        else:
            self.paused = True
            self.stop_sources()
            self.set_state("paused")
            self.status("Paused: the device is free. p: resume")

    def action_restart_sources(self) -> None:
        """Start the chosen sources that are not capturing again (one that failed)."""
        if self.paused or self.model is None:
            return
        for channel_id, chosen in self.sources.items():
            if channel_id not in self.capturing:
                self.start_source(channel_id, chosen)

    def action_switch_source(self) -> None:
        self.push_screen(self._picker(cancellable=True), self._picked)

    def action_toggle_strip(self) -> None:
        self.strip = not self.strip
        self._captions().show_strip(self.strip, self.strip_lines)
        if self.strip:
            self._text_came()  # the quiet starts counting now
        elif self._clear_timer is not None:
            self._clear_timer.stop()

    def _text_came(self) -> None:
        """In the strip with --clear-after: the text goes once it has been quiet that long."""
        if not self.strip or self.clear_after is None:
            return
        if self._clear_timer is not None:
            self._clear_timer.stop()
        self._clear_timer = self.set_timer(self.clear_after, self.action_clear_view)

    def action_search(self) -> None:
        screen = self._captions()
        screen.add_class("-searching")
        screen.query_one("#search", Input).focus()

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id == "search":
            count = self._captions().query_one(TranscriptPane).search(message.value)
            self.status(f"{count} lines say {message.value!r}" if message.value else "Search.")

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "search":
            self.screen.set_focus(None)  # n and N now jump
            self.action_search_next(1)

    def action_search_next(self, step: int) -> None:
        pane = self._captions().query_one(TranscriptPane)
        if not pane.query_text:
            return
        found = pane.jump(step)
        if found is None:
            self.status(f"Nothing says {pane.query_text!r}.", "warning")
        else:
            self.status(f"Match {found[0]} of {found[1]} · n / N: next / previous · Esc: done")

    def action_end_search(self) -> None:
        screen = self._captions()
        if screen.has_class("-searching"):
            screen.remove_class("-searching")
            screen.query_one("#search", Input).value = ""
            screen.query_one(TranscriptPane).search("")
            screen.set_focus(None)
            self.status("Search ended · f: follow new text")

    def action_clear_view(self) -> None:
        self._captions().query_one(TranscriptPane).clear_view()

    def action_toggle_follow(self) -> None:
        pane = self._captions().query_one(TranscriptPane)
        pane.following = not pane.following

    def action_cycle_theme(self) -> None:
        names = self.theme_set.names()
        position = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(position + 1) % len(names)]
        self.settings = dataclasses.replace(self.settings, theme=self.theme)
        problem = save_settings(Settings(theme=self.theme), self.options.settings_path)
        self.notify(
            problem or f"Theme: {self.theme}", severity="warning" if problem else "information"
        )

    @property
    def compute_label(self) -> str:
        """The engine (once loaded) and how it runs: "ctc, cpu int8"."""
        compute = (self.model.run if self.model is not None else self.run_options).compute_label
        return f"{self.engine_label}, {compute}" if self.engine_label else compute

    def action_help(self) -> None:
        about = [
            ("Source", self.source_label if self.sources else "none yet"),
            ("Model", f"{self.model_name} ({self.compute_label})"),
            ("Punctuation", self.session.post.name),
            ("Hotwords", ", ".join(h.phrase for h in self.decode_options.hotwords) or "none"),
            ("In a browser", self.server.url if self.server is not None else "off (--serve)"),
        ]
        self.push_screen(HelpScreen(KEYS, about))

    def action_save(self) -> None:
        if not self.session.final_count:  # asking for the journal would write an empty one
            self.notify("Nothing to save yet: no line has been captioned.", severity="warning")
            return
        journal = self.session.journal
        self.push_screen(SaveDialog(journal.path.parent, journal.id), self._save)

    def _save(self, request: SaveRequest | None) -> None:
        if request is None:
            return
        from tui_captions.transcript.exports import export_session
        from tui_captions.transcript.output import written_whole

        session = self.session.journal.session()
        try:
            request.path.parent.mkdir(parents=True, exist_ok=True)
            with written_whole(request.path) as out:
                export_session(session, request.fmt, out)
        except (OSError, UserError) as exc:  # the folder could not be made, or the file
            self.notify(f"Not saved: {getattr(exc, 'strerror', None) or exc}", severity="error")
            return
        shown = sum(not segment.echo for segment in session.segments)
        self.notify(f"Saved {shown} segments to {request.path}")
        self.status(f"Saved to {request.path}")

    def stop_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: quit as ``q`` does, then exit with 128 + the signal's number."""
        if signum == signal.SIGHUP:
            detach_terminal()  # the terminal is gone: drawing must not fail
        self._exit_status = 128 + signum
        self.call_later(self.action_quit)

    def on_unmount(self) -> None:
        heap.release()

    async def action_quit(self) -> None:
        self.stop_probe(wait=True)  # the device is free when the app is gone
        self.stop_sources()
        # The engine's last event (its final words) was posted from its thread, which
        # reaches the queue on the loop's next turn: let it, then close after it.
        await asyncio.sleep(0)
        self.call_later(self._close_and_exit)

    def _close_and_exit(self) -> None:
        journal = self.session.close()
        if self.server is not None:
            self.server.stop()
        if self.recorder is not None:
            self.recorder.close()
        if self._exit_status == 128 + signal.SIGHUP:
            # The terminal is gone and the session is saved: a write that failed before
            # the hang-up was handled can leave Textual's output thread dead and its
            # shutdown waiting on it, so do not wait long for Textual.
            deadline = threading.Timer(HANGUP_EXIT_S, os._exit, (self._exit_status,))
            deadline.daemon = True
            deadline.start()
        self.exit(journal.path if journal is not None else None, return_code=self._exit_status)

    # -- helpers -------------------------------------------------------------

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def status(self, text: str, severity: Severity = "information") -> None:
        """The status line of every screen that has one (the picker shows model loading too)."""
        self.status_text = (text, severity)
        self.sync_screens()

    def set_state(self, state: str) -> None:
        self.state = state
        self.sync_screens()

    def sync_screens(self) -> None:
        """Copy the session's state into the bars of the screens (each second, and on change)."""
        for screen in self.screen_stack:
            for line in screen.query(StatusLine):
                line.show(*self.status_text)
            for bar in screen.query(SessionBar):
                bar.source = short_name(self.source_label)
                bar.model = short_name(self.model_name)
                bar.compute = self.compute_label
                bar.recording = self.recorder is not None
                bar.web = self.server.url if self.server is not None else ""
                bar.state = self.state
                bar.elapsed = self.elapsed()
