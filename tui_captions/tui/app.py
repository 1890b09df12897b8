"""The captions app: wiring between screens, the model loader, the engine and the session.

Nothing heavy is imported here: torch and the model load in a thread worker
after the first paint, and every background thread talks to the app only by
posting messages. All worker failures go through one handler
(:meth:`CaptionsApp.on_worker_state_changed`). The engines' events go to the
session, which hands them to its sinks: the journal, the web page, the captions
screen's :class:`ScreenSink` and the app's own :class:`AppSink`.
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
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui_captions import paths
from tui_captions.asr.cards import model_summary
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
from tui_captions.core.sinks import SessionSink
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
from tui_captions.pipeline.speakers import SpeakerTap
from tui_captions.signals import STOP_SIGNALS, detach_terminal, end_by_deadline
from tui_captions.tui.backend import Backend, ProbeHandle, RealBackend
from tui_captions.tui.keys import CAPTIONS_KEYS
from tui_captions.tui.messages import (
    EngineEvent,
    Levels,
    MeterFailed,
    ModelLoaded,
    ModelProgress,
    PostLoaded,
)
from tui_captions.tui.screens.captions import CaptionsScreen, Channels, ScreenSink
from tui_captions.tui.screens.dialogs import (
    ErrorScreen,
    HelpScreen,
    Rename,
    RenameDialog,
    SaveDialog,
    SaveRequest,
    model_help,
)
from tui_captions.tui.screens.picker import Picked, PickerScreen
from tui_captions.tui.themes import DEFAULT_THEME, ThemeSet, app_variable_defaults, discover_themes
from tui_captions.tui.widgets.bars import Heading, Severity, Status
from tui_captions.tui.widgets.figures import Figures
from tui_captions.web import publish

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel
    from tui_captions.audio.cameras import CameraDevice
    from tui_captions.audio.protocol import Source
    from tui_captions.core.events import LiveEvent, RecognizerUpdate, SourceEnded, SourceStarted
    from tui_captions.core.segments import Segment
    from tui_captions.pipeline.recording import Recorder
    from tui_captions.speakers.labeller import SpeakerLabeller
    from tui_captions.web.server import CaptionServer

_log = logging.getLogger(__name__)
RETRY_SECONDS = 3.0
HANGUP_EXIT_S = 1.0  # after a hang-up, the saved session exits by then at the latest


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
    language: str | None = None  # --language; None: the settings file's, else the model's
    watch: str | None = None  # --watch; None: the settings file's list
    punctuation: str | None = None  # --punctuation; None: the settings file's, else the default
    hotwords: HotwordChoice = field(default_factory=HotwordChoice)  # --hotwords and friends
    serve: str | None = None  # --serve [HOST:]PORT: the captions in a browser too
    record: bool = False  # also save the audio next to the journal (one source)
    speakers: bool = False  # --speakers (or the setting): label each source's speakers
    speaker_model: Path | None = None  # what labels them (--speaker-model, else the setting's)
    strip_lines: int | None = None  # --lines; None: the settings file's, else 3
    clear_after: float | None = None  # --clear-after; None: the settings file's, else never
    compute: str = DEFAULT_COMPUTE
    sources: tuple[LabelledSource, ...] = ()  # none: the user picks in the picker
    theme: str | None = None
    demo: bool = False
    sessions_dir: Path | None = None
    settings_path: Path | None = None
    user_themes_dir: Path | None = None


class CaptionsApp(App[Path | None]):
    """Returns the session journal's path (None if nothing was captioned)."""

    TITLE = "captions-tui"

    # The session as the screens show it: each change is copied to their bars at once.
    status_text: reactive[Status] = reactive[Status](
        ("Loading the model…", "information"), init=False
    )
    state: reactive[str] = reactive("starting", init=False)
    heading: reactive[Heading] = reactive(Heading(), init=False)
    figures: reactive[Figures] = reactive(Figures(), init=False)
    elapsed_s: reactive[float] = reactive(0.0, init=False)

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
            options.language,
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
            on_warning=lambda text: self.notify(text, severity="warning", timeout=10, markup=False),
        )
        self.session.subscribe(AppSink(self))
        self.sources: dict[ChannelId, LabelledSource] = self._by_channel(options.sources)
        """What is captioned, by channel: "" for one source, else each source's label."""
        self.probe: ProbeHandle | None = None
        self.generation: dict[ChannelId, int] = {}
        """Counts each channel's source sessions; an older one only delivers its final text."""
        self.paused = False
        self.started_at = clock()
        self._retry: dict[ChannelId, Timer] = {}
        self.recorder: Recorder | None = None
        self.speakers_on = options.speakers
        self._speakers_failed = False  # speaker labels could not load: off until asked again
        self._taps: dict[ChannelId, SpeakerTap] = {}  # each channel's audio to its labeller
        # each channel's labeller, kept for the session: turned off and on, its speakers
        # keep their numbers
        self._labellers: dict[ChannelId, SpeakerLabeller] = {}
        self.watch_hits = 0
        self.words_said = 0  # in the session's final lines: counted once each, not per chunk
        self.capturing: set[ChannelId] = set()
        """Channels whose source has started and not ended."""
        self.failed: set[ChannelId] = set()
        """Channels whose captioning failed (a bug) since they last started: what r restarts."""
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
            self.notify(
                problem,
                title="Theme or settings file",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if self._hotword_problem:
            self.notify(
                self._hotword_problem,
                title="Hotwords",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if self.options.serve is not None:
            self.start_server(self.options.serve)
        self.show_heading()
        self.set_interval(1.0, self._tick)  # the clock: the elapsed time on the session bar
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
            markup=False,
        )
        return DEFAULT_THEME

    def start_server(self, serve: str) -> None:
        """The captions in a browser too; a port that cannot be had is a notification."""
        try:
            self.server = publish.start_server(serve, self.settings.web_clients)
        except UserError as exc:
            self.notify(str(exc), title="Web captions", severity="error", timeout=10, markup=False)
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
        post = self.backend.load_post(spec, notice, progress, model.writing)
        self.post_message(PostLoaded(post))

    def _notice(self, text: str) -> None:
        """A warning from a worker thread."""
        self.call_from_thread(self.notify, text, severity="warning", timeout=10, markup=False)

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
        self.show_heading()
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
            self.notify(text, title="Error", severity="error", timeout=10, markup=False)
            self.status(text, "error")

    # -- sources and the engine ----------------------------------------------

    @property
    def captions(self) -> CaptionsScreen | None:
        """The captions screen, once a source has been chosen."""
        return next((s for s in self.screen_stack if isinstance(s, CaptionsScreen)), None)

    def _new_captions_screen(self) -> CaptionsScreen:
        settings, options = self.settings, self.options
        screen = CaptionsScreen(
            channels=self._channels(),
            demo=options.demo,
            watch=self.watch_words,
            strip_lines=options.strip_lines or settings.strip_lines or DEFAULT_STRIP_LINES,
            clear_after=options.clear_after or settings.clear_after,
        )
        self._show_on(screen)
        self.session.subscribe(ScreenSink(screen))
        return screen

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

    def _channels(self) -> Channels:
        """Each source's channel and its figures (once its engine exists): a meter and a
        latency figure each on the captions screen."""
        channels = [(c, self.session.channels.get(c)) for c in self.sources] or [("", None)]
        return [(c, channel.stats if channel is not None else None) for c, channel in channels]

    def _picker(self, cancellable: bool = False) -> PickerScreen:
        """The device picker; with the cameras too once the model is known to read lips."""
        picker = PickerScreen(
            self.backend.list_devices,
            cancellable,
            self._camera_lister(),
            model_summary(self.options.model, self.decode_options.language),
        )
        self._show_on(picker)
        return picker

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
        if (screen := self.captions) is None:
            await self.push_screen(self._new_captions_screen())
        else:
            screen.set_channels(self._channels())
        self.show_heading()
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
            self.notify(
                str(exc),
                title="This source cannot feed this model",
                severity="error",
                markup=False,
            )
            self.status(f"{exc} · s: pick another source", "error")
            return
        self.sources = self._by_channel(paired)
        for channel_id, chosen in self.sources.items():
            self.start_source(channel_id, chosen)
        self.show_heading()
        if (screen := self.captions) is not None:
            screen.set_channels(self._channels())

    def start_source(self, channel_id: ChannelId, chosen: LabelledSource) -> None:
        assert self.model is not None
        if channel_id not in self.session.channels:
            tap = self._taps[channel_id] = SpeakerTap(self._labeller(channel_id))
            engine = self.backend.create_engine(
                self.model,
                self.decode_options,
                partial(self._listen, channel_id),
                self._recorder_for(channel_id),
                tap,
            )
            self.session.add_channel(
                channel_id,
                chosen.label,
                engine,
                self.model.format.chunk_seconds,
                chosen.role,
                tap.labeller,
            )
        self.stop_source(channel_id)
        self.failed.discard(channel_id)
        self.generation[channel_id] = self.generation.get(channel_id, 0) + 1
        self.state = "starting"
        self.session.start(channel_id, chosen.source)

    def _labeller(self, channel_id: ChannelId) -> SpeakerLabeller | None:
        """With speaker labels on, the channel's labeller (made the first time, or again
        after one failed); one that cannot load is said once and labels are off for the
        session (captions go on)."""
        model = self.options.speaker_model
        if not self.speakers_on or model is None or self._speakers_failed or self.model is None:
            return None
        kept = self._labellers.get(channel_id)
        if kept is not None and not kept.failed:
            return kept
        try:
            made = self.backend.create_labeller(model, self.model.format.sample_rate)
            self._labellers[channel_id] = made
            return made
        except UserError as exc:
            self._speakers_failed = True
            self.notify(
                f"{exc}; captions go on without speaker labels",
                title="No speaker labels",
                severity="warning",
                timeout=10,
                markup=False,
            )
            return None

    def action_toggle_speakers(self) -> None:
        """Speaker labels on (each source gets a labeller from now on) or off."""
        if self.options.speaker_model is None:
            self.notify(
                "Speaker labels need a speaker-embedding model: start with --speakers "
                "--speaker-model PATH, or set speaker_model in the settings file.",
                title="No speaker model",
                severity="warning",
                timeout=10,
                markup=False,
            )
            return
        self.speakers_on = not self.speakers_on
        self._speakers_failed = False
        for channel_id, tap in self._taps.items():
            # off: the labeller waits, kept (the audio it missed is a gap to it)
            tap.labeller = self._labeller(channel_id)
            self.session.label_speakers(channel_id, tap.labeller)
        on = self.speakers_on and not self._speakers_failed
        self.notify("Speaker labels on" if on else "Speaker labels off", timeout=3)

    def action_rename_speaker(self) -> None:
        """Name a speaker labelled so far, for the whole session."""
        screen = self.captions
        speakers = (
            sorted({(s.channel, s.speaker) for s in screen.pane.shown if s.speaker})
            if screen
            else []
        )
        if not speakers:
            self.notify("No speaker is labelled yet (l turns speaker labels on).", timeout=5)
            return
        self.push_screen(RenameDialog(speakers), self._rename)

    def _rename(self, rename: Rename | None) -> None:
        if rename is not None:
            self.session.rename_speaker(rename.channel, rename.speaker, rename.name)

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
            on_warning=lambda text: self.notify(text, severity="warning", timeout=10, markup=False),
        )
        self.show_heading()  # REC
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
        """Handled once by the session and handed to its sinks: the journal, the page, the
        captions screen and this app; never lost, even if stale."""
        channel_id = message.channel
        current = message.generation == self.generation.get(channel_id)
        self.session.accept(channel_id, message.event, current)
        self.figures = Figures(
            self.session.final_count,
            self.words_said,
            self.watch_hits,
            "every line saved" if self.session.journal_if_open is not None else Figures.journal,
        )

    def source_started(self, channel_id: ChannelId, event: SourceStarted) -> None:
        """The channel's current source opened: the session is live."""
        self.capturing.add(channel_id)
        self.state = "live"
        self.status(f"Listening to {event.summary}.")

    def said(self, segment: Segment) -> None:
        """A final line: its words counted, and a notice if it says a watch word."""
        self.words_said += len(segment.text.split())
        if hits := watched(segment.text, self.watch_words):
            self.watch_hits += 1
            self._watch_word(segment, hits)

    def saw(self, event: RecognizerUpdate) -> None:
        """An audio-visual source's window: its face crop on the camera pane."""
        screen = self.captions
        assert self.model is not None and event.faces is not None and screen is not None
        screen.show_face(event.face, event.faces, self.model.format.frames_per_chunk)
        if not self.seen_face and event.faces:
            self.seen_face = True
            self.status("A face is in view: the model reads the lips too.")
        elif not self.seen_face:
            self.status("no face in view yet: captions from the audio alone", "warning")

    def _watch_word(self, segment: Segment, hits: list[str]) -> None:
        who = f"{segment.channel}: " if segment.channel else ""
        self.notify(
            f"{timefmt.elapsed(segment.start)}  {who}{segment.shown()}",
            title=f"Said: {', '.join(hits)}",
            timeout=10,
            markup=False,
        )
        if self.settings.watch_bell is not False:
            self.bell()

    def source_ended(self, channel_id: ChannelId, event: SourceEnded) -> None:
        """The channel's current source ended: what next depends on why."""
        self.capturing.discard(channel_id)
        reason, error = event.reason, event.error
        lead = f"{channel_id}: " if channel_id else ""
        if reason == "failed":  # a bug: trying again by itself would fail again
            self.failed.add(channel_id)
            self.state = "failed"
            text = f"{lead}{error}"
            self.notify(
                f"{text}. Press r to start it again; what failed is in {self.log_path}",
                title="Captioning stopped",
                severity="error",
                timeout=15,
                markup=False,
            )
            self.status(f"{text} · r: start it again · s: pick another source", "error")
        elif reason == "error":
            self.state = "source lost"
            text = f"{lead}{error or 'the capture stopped'}"
            self.notify(text, title="Capture stopped", severity="error", timeout=8, markup=False)
            self.status(
                f"{text} · retrying every {RETRY_SECONDS:.0f} s · s: pick another source", "error"
            )
            self._retry[channel_id] = self.set_timer(
                RETRY_SECONDS, partial(self._retry_source, channel_id)
            )
        elif reason == "end":
            if not self.capturing:
                self.state = "ended"
            self.status(f"{lead}The input ended. s: pick another source · ctrl+s: save · q: quit")

    def _retry_source(self, channel_id: ChannelId) -> None:
        self._retry.pop(channel_id, None)
        chosen = self.sources.get(channel_id)
        if chosen is not None and self.model is not None and not self.paused:
            self.start_source(channel_id, chosen)

    def on_picker_screen_probe_wanted(self, message: PickerScreen.ProbeWanted) -> None:
        self.stop_probe()
        if message.device is not None and message.picker.is_attached:
            picker, device = message.picker, message.device
            self.probe = self.backend.start_probe(
                device.source(),
                lambda rms, peak, over: picker.post_message(Levels(rms, peak, over)),
                lambda text: picker.post_message(MeterFailed(device, text)),
            )

    def stop_probe(self, wait: bool = False) -> None:
        if self.probe is not None:
            probe, self.probe = self.probe, None
            probe.stop(wait)

    # -- commands ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, CaptionsScreen):
            for key in CAPTIONS_KEYS:
                run = partial(self.run_action, key.action, screen)
                yield SystemCommand(key.label, key.help, run)

    def action_toggle_pause(self) -> None:
        if self.paused:
            self.paused = False
            if self.sources and self.model is not None:
                self.start_sources()
                self.status("Resumed.")
        else:
            self.paused = True
            self.stop_sources()
            self.state = "paused"
            self.status("Paused: the device is free. p: resume")

    def action_restart_sources(self) -> None:
        """Start the sources whose captioning failed again; not a file that ended, which
        would play again and repeat its lines."""
        if self.paused or self.model is None:
            return
        for channel_id, chosen in self.sources.items():
            if channel_id in self.failed:
                self.start_source(channel_id, chosen)

    def action_switch_source(self) -> None:
        self.push_screen(self._picker(cancellable=True), self._picked)

    def on_captions_screen_says(self, message: CaptionsScreen.Says) -> None:
        self.status(message.text, message.severity)

    def action_cycle_theme(self) -> None:
        names = self.theme_set.names()
        position = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(position + 1) % len(names)]
        self.settings = dataclasses.replace(self.settings, theme=self.theme)
        problem = save_settings(Settings(theme=self.theme), self.options.settings_path)
        self.notify(
            problem or f"Theme: {self.theme}",
            severity="warning" if problem else "information",
            markup=False,
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
        self.push_screen(HelpScreen(CAPTIONS_KEYS, about))

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
            self.notify(
                f"Not saved: {getattr(exc, 'strerror', None) or exc}",
                severity="error",
                markup=False,
            )
            return
        shown = sum(not segment.echo for segment in session.segments)
        self.notify(f"Saved {shown} segments to {request.path}", markup=False)
        self.status(f"Saved to {request.path}")

    def stop_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: quit as ``q`` does, then exit with 128 + the signal's number."""
        if signum == signal.SIGHUP:
            detach_terminal()  # the terminal is gone: drawing must not fail
        self._exit_status = 128 + signum
        end_by_deadline(signum)  # a model still loading in a worker thread would hold the exit
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

    def show_heading(self) -> None:
        """The session bar's names, after the source, the model or an output changed."""
        self.heading = Heading(
            short_name(self.source_label),
            short_name(self.model_name),
            self.compute_label,
            self.recorder is not None,
            self.server.url if self.server is not None else "",
        )

    def _tick(self) -> None:
        self.elapsed_s = self.elapsed()

    # Attributes down: each screen's bars are bound to its own copies of these.

    def watch_status_text(self) -> None:
        self._show_on_screens()

    def watch_state(self) -> None:
        self._show_on_screens()

    def watch_heading(self) -> None:
        self._show_on_screens()

    def watch_figures(self) -> None:
        self._show_on_screens()

    def watch_elapsed_s(self) -> None:
        self._show_on_screens()

    def _show_on_screens(self) -> None:
        for screen in self.screen_stack:
            self._show_on(screen)

    def _show_on(self, screen: Screen[Any]) -> None:
        if isinstance(screen, PickerScreen | CaptionsScreen):
            screen.status = self.status_text
        if isinstance(screen, CaptionsScreen):
            screen.state, screen.heading = self.state, self.heading
            screen.figures, screen.elapsed = self.figures, self.elapsed_s


class AppSink(SessionSink):
    """What the app makes of the session's events (its screen's sink shows them): the
    sources' state and the status line, the face an audio-visual model reads, watch-word
    notices. The app calls ``accept`` on its own thread, so these run there."""

    def __init__(self, app: CaptionsApp) -> None:
        self.app = app

    def started(self, channel: str, event: SourceStarted) -> None:
        self.app.source_started(channel, event)

    def update(self, channel: str, event: RecognizerUpdate) -> None:
        if event.faces is not None:
            self.app.saw(event)

    def final(self, segment: Segment) -> None:
        self.app.said(segment)

    def ended(self, channel: str, event: SourceEnded) -> None:
        self.app.source_ended(channel, event)
