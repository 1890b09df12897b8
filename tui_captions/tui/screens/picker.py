"""The device picker: sources as ``captions-tui devices`` lists them, filter, level meter.

Typing goes to the filter box; arrow keys move the table; space marks sources
to caption together (meeting mode); Enter starts the marked ones, or the
highlighted one when none is marked. The
highlighted device is opened by a level probe (after a short pause, so
scrolling through the list does not open every device) so the user can see
which microphone hears them. For an audio-visual model the app offers the
cameras too, and the one chosen goes beside the source. A line under the
title names the model and the language it writes. The screen knows
nothing of the app: it is given a way to list devices and posts messages for
what the app must do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Select, Static

from tui_captions.tui.keys import PICKER_KEYS, bindings
from tui_captions.tui.messages import Levels, MeterFailed
from tui_captions.tui.widgets.bars import Status, StatusLine
from tui_captions.tui.widgets.levels import LevelMeter

if TYPE_CHECKING:
    from tui_captions.audio.cameras import CameraDevice
    from tui_captions.audio.devices import CaptureDevice
    from tui_captions.audio.protocol import Camera

PROBE_DELAY_S = 0.4
METER_TITLE = "Level of the highlighted source"
COLUMNS = ("Name", "Kind", "Host API", "Ch", "Rate")
MARK = "●"


@dataclass(frozen=True)
class Picked:
    """What the picker was left with: the sources, and the camera beside them (if any)."""

    devices: list[CaptureDevice]
    camera: Camera | None = None


def device_key(device: CaptureDevice) -> str:
    return device.pulse_source or f"portaudio:{device.index}"


def matches(device: CaptureDevice, text: str) -> bool:
    """Every word of the filter appears somewhere in the row (case-insensitive)."""
    haystack = " ".join(
        (device.name, device.kind, device.host_api, device.pulse_source or "")
    ).lower()
    return all(word in haystack for word in text.lower().split())


class FilterInput(Input):
    """The filter box; space is not typed but marks a source (meeting mode)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key != "space" and super().check_consume_key(key, character)


class PickerScreen(Screen["Picked | None"]):
    """Dismisses with the chosen devices (the marked ones in the order they were marked,
    else the highlighted one) and camera, or None when cancelled (only if cancellable)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(PICKER_KEYS)

    DEFAULT_CSS = """
    PickerScreen { background: $background; }
    PickerScreen > #title { padding: 0 1; background: $panel; color: $text; text-style: bold; }
    PickerScreen > #model { padding: 0 1; color: $text-muted; }
    PickerScreen > #hint { padding: 0 1; color: $text-muted; }
    PickerScreen > Input { margin: 0 1; }
    PickerScreen > DataTable { height: 1fr; margin: 0 1; background: $surface; }
    PickerScreen > #meter-title { padding: 0 1; color: $text-muted; }
    PickerScreen > #meter-title.-failed { color: $warning; }
    PickerScreen > LevelMeter { margin: 0 1; padding: 0 1; background: $surface; }
    PickerScreen > #empty { padding: 1 2; color: $warning; }
    PickerScreen > #camera-title { padding: 0 1; color: $text-muted; }
    PickerScreen > Select { margin: 0 1; }
    """

    status: reactive[Status] = reactive[Status](("", "information"))
    """The app's status line (model loading shows here too), set by the app."""

    class ProbeWanted(Message):
        """Open ``device`` for the level meter (levels come back as ``Levels`` messages
        to ``picker``), or close the probe when ``device`` is None."""

        def __init__(self, picker: PickerScreen, device: CaptureDevice | None) -> None:
            super().__init__()
            self.picker, self.device = picker, device

    def __init__(
        self,
        list_devices: Callable[[], list[CaptureDevice]],
        cancellable: bool = False,
        list_cameras: Callable[[], list[CameraDevice]] | None = None,
        model: str = "",
    ) -> None:
        super().__init__()
        self.model = model
        """The model and its language, said under the title."""
        self.cancellable = cancellable
        self.devices: list[CaptureDevice] = []
        self._list_devices = list_devices
        self._probe_timer: Timer | None = None
        self._probe_key: str | None = None
        self.marked: list[str] = []
        """Device keys marked with space, in order: their labels follow this order."""
        self.cameras: list[CameraDevice] = []
        self._list_cameras = list_cameras

    def compose(self) -> ComposeResult:
        yield Static("Choose an audio source", id="title")
        yield Static(Text(self.model), id="model")  # a path is text, not markup
        yield Static(
            "Type to filter · ↑↓ move · space mark · Enter start · F5 refresh · ^q quit\n"
            "★ system default · ● marked: captioned together · system audio = what it plays",
            id="hint",
        )
        yield FilterInput(placeholder="filter…", id="filter")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="empty")
        yield Static("", id="camera-title")
        yield Select[int]([], prompt="no camera", id="camera")
        yield Static(METER_TITLE, id="meter-title")
        yield LevelMeter()
        yield StatusLine().data_bind(PickerScreen.status)
        yield Footer()

    def on_mount(self) -> None:
        for widget in (self.query_one("#camera-title"), self.query_one(Select)):
            widget.display = False
        self.query_one(Input).focus()
        self.action_refresh()

    def on_unmount(self) -> None:
        self.app.post_message(self.ProbeWanted(self, None))

    @work(thread=True, exclusive=True, group="devices", exit_on_error=False)
    def action_refresh(self) -> None:
        devices = self._list_devices()
        cameras = self._list_cameras() if self._list_cameras is not None else None
        self.app.call_from_thread(self.show_devices, devices, cameras)

    def offer_cameras(self, list_cameras: Callable[[], list[CameraDevice]]) -> None:
        """The model reads lips: list the cameras too (F5 lists them again)."""
        self._list_cameras = list_cameras
        self.action_refresh()

    def _show_cameras(self, cameras: list[CameraDevice]) -> None:
        """The cameras to choose from, the one chosen before (or the first) selected."""
        chosen = self.camera
        self.cameras = cameras
        title = self.query_one("#camera-title", Static)
        title.display = True
        title.update(
            "Camera beside the source (the model reads the speaker's lips)"
            if cameras
            else "No camera found: plug one in and press F5, or start with --camera DEVICE"
        )
        select: Select[int] = self.query_one(Select)
        select.set_options((f"{d.name}  ({d.camera.url})", i) for i, d in enumerate(cameras))
        select.display = bool(cameras)
        if cameras:
            urls = [d.camera.url for d in cameras]
            select.value = urls.index(chosen.url) if chosen and chosen.url in urls else 0

    @property
    def camera(self) -> Camera | None:
        value = self.query_one(Select).value
        return self.cameras[value].camera if isinstance(value, int) else None

    def show_devices(
        self, devices: list[CaptureDevice], cameras: list[CameraDevice] | None = None
    ) -> None:
        if cameras is not None:
            self._show_cameras(cameras)
        self.devices = devices
        self._fill(keep=self._highlighted_key())

    def _fill(self, keep: str | None = None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        text = self.query_one(Input).value
        shown = [device for device in self.devices if matches(device, text)]
        for device in shown:
            table.add_row(
                self._name_cell(device),
                "system audio" if device.monitor else "input",
                device.host_api,
                str(device.channels),
                f"{device.default_rate / 1000:g}k",
                key=device_key(device),
            )
        empty = self.query_one("#empty", Static)
        empty.display = not shown
        empty.update(
            "No capture sources found. Plug in a microphone and press F5, "
            "or start with --input FILE_OR_URL."
            if not self.devices
            else "No source matches the filter."
        )
        target = next((i for i, d in enumerate(shown) if device_key(d) == keep), None)
        if target is None:
            target = next((i for i, d in enumerate(shown) if d.is_default), 0)
        if shown:
            table.move_cursor(row=target)
            self._schedule_probe()
        else:
            self.post_message(self.ProbeWanted(self, None))

    def _highlighted(self) -> CaptureDevice | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((d for d in self.devices if device_key(d) == key), None)

    def _highlighted_key(self) -> str | None:
        device = self._highlighted()
        return device_key(device) if device else None

    @on(Input.Changed)
    def _filter_changed(self) -> None:
        self._fill(keep=self._highlighted_key())

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._schedule_probe()

    def _schedule_probe(self) -> None:
        if self._probe_timer is not None:
            self._probe_timer.stop()
        self._probe_timer = self.set_timer(PROBE_DELAY_S, self._probe_highlighted)

    def _probe_highlighted(self) -> None:
        device = self._highlighted()
        key = device_key(device) if device else None
        if key == self._probe_key:
            return
        self._probe_key = key
        self.query_one(LevelMeter).reset()
        self._meter_title(METER_TITLE, failed=False)
        self.post_message(self.ProbeWanted(self, device))

    def on_levels(self, message: Levels) -> None:
        self.query_one(LevelMeter).show(message.rms_dbfs, message.peak_dbfs, message.overflow)

    def on_meter_failed(self, message: MeterFailed) -> None:
        """Said over the meter, which would otherwise just freeze; not for a device the
        user has already moved away from."""
        if device_key(message.device) == self._probe_key:
            self._meter_title(f"No level: {message.text}", failed=True)

    def _meter_title(self, text: str, failed: bool) -> None:
        title = self.query_one("#meter-title", Static)
        title.update(Text(text))  # a device's name is text, not markup
        title.set_class(failed, "-failed")

    def action_move(self, rows: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            row = min(max(0, table.cursor_row + rows), table.row_count - 1)
            table.move_cursor(row=row)

    def action_mark(self) -> None:
        """Mark the highlighted source to caption it with the others marked (or unmark it)."""
        device = self._highlighted()
        if device is None:
            return
        key = device_key(device)
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked.append(key)
        table = self.query_one(DataTable)
        table.update_cell_at(Coordinate(table.cursor_row, 0), self._name_cell(device))

    def _name_cell(self, device: CaptureDevice) -> str:
        mark = MARK if device_key(device) in self.marked else " "
        return f"{mark}{'★' if device.is_default else ' '} {device.name}"

    def action_start(self) -> None:
        by_key = {device_key(d): d for d in self.devices}
        chosen = [by_key[k] for k in self.marked if k in by_key]
        if not chosen and (device := self._highlighted()) is not None:
            chosen = [device]
        if not chosen:
            self.notify("Nothing to start: no source is highlighted.", severity="warning")
            return
        if self.camera is not None and len(chosen) > 1:
            self.notify("A camera goes beside one source: mark only the speaker's.")
            return
        self.dismiss(Picked(chosen, self.camera))  # the app frees the probe's device first

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)
        elif self.query_one(Input).value:
            self.query_one(Input).value = ""
