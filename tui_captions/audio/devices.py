"""Capture devices: PortAudio inputs plus PulseAudio/PipeWire sources, and picking one.

PortAudio (through ALSA) does not show the sound server's sources, and its
``pulse`` device records only the server's default source. So the server is
asked for its sources with ``pactl`` (works with PipeWire's pulse server
too); such a source is captured through PortAudio's ``pulse`` device with
``PULSE_SOURCE`` set in the capture worker. Monitor sources are what the
computer plays: "system audio".
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from tui_captions.audio.protocol import DeviceSource
from tui_captions.errors import AudioSourceError

PULSE_API = "PulseAudio"
PULSE_PORTAUDIO_DEVICE = "pulse"
_PACTL_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CaptureDevice:
    """One row of ``captions-tui devices``.

    ``index`` is PortAudio's device index (None for sound-server sources,
    which are chosen by name); ``pulse_source`` names the server's source.
    """

    index: int | None
    name: str
    host_api: str
    channels: int
    default_rate: float
    is_default: bool
    pulse_source: str | None = None
    monitor: bool = False

    @property
    def kind(self) -> str:
        """ "system audio" for monitor sources (what the computer plays), else "input"."""
        return "system audio" if self.monitor else "input"

    def source(self) -> DeviceSource:
        """What the capture worker opens for this device."""
        if self.pulse_source is not None:
            return DeviceSource(
                label=f"{self.name} ({self.pulse_source})",
                portaudio_device=PULSE_PORTAUDIO_DEVICE,
                channels=self.channels,
                sample_rate=self.default_rate,
                pulse_source=self.pulse_source,
            )
        assert self.index is not None
        return DeviceSource(
            label=self.name,
            portaudio_device=self.index,
            channels=self.channels,
            sample_rate=self.default_rate,
        )


def list_devices() -> list[CaptureDevice]:
    """Every capture source now present: PortAudio inputs, then sound-server sources."""
    return [*portaudio_inputs(), *pulse_sources()]


def portaudio_inputs() -> list[CaptureDevice]:
    """PortAudio's input devices, rescanned so hot-plugged devices and servers show up."""
    try:
        import sounddevice as sd
    except OSError:  # the PortAudio library itself is missing
        return []
    # PortAudio lists devices once at initialisation; re-initialise to rescan.
    # Safe here: the main process never holds a stream open (the worker does).
    sd._terminate()
    sd._initialize()
    apis = sd.query_hostapis()
    default_input = sd.default.device[0]
    devices = []
    for info in sd.query_devices():
        if info["max_input_channels"] < 1:
            continue
        devices.append(
            CaptureDevice(
                index=int(info["index"]),
                name=str(info["name"]),
                host_api=str(apis[info["hostapi"]]["name"]),
                channels=int(info["max_input_channels"]),
                default_rate=float(info["default_samplerate"]),
                is_default=info["index"] == default_input,
            )
        )
    return devices


def pulse_sources() -> list[CaptureDevice]:
    """The PulseAudio/PipeWire server's sources, or none when no server answers."""
    if shutil.which("pactl") is None:
        return []
    listing = _pactl("--format=json", "list", "sources")
    if listing is None:
        return []
    default = (_pactl("get-default-source") or "").strip()
    try:
        sources = json.loads(listing)
    except json.JSONDecodeError:
        return []
    devices = []
    for source in sources:
        channels, rate = _parse_spec(str(source.get("sample_specification", "")))
        properties = source.get("properties") or {}
        devices.append(
            CaptureDevice(
                index=None,
                name=str(source.get("description") or source["name"]),
                host_api=PULSE_API,
                channels=channels,
                default_rate=rate,
                is_default=source["name"] == default,
                pulse_source=str(source["name"]),
                monitor=properties.get("device.class") == "monitor",
            )
        )
    return devices


def pulse_source_exists(name: str) -> bool:
    """Whether the sound server still has this source (True when it cannot be asked).

    The server moves a recording whose source vanished to another source,
    so the worker asks, rather than silently capturing something else.
    """
    listing = _pactl("list", "short", "sources")
    if listing is None:
        return True
    return any(line.split("\t")[1:2] == [name] for line in listing.splitlines())


def _pactl(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["pactl", *args],
            capture_output=True,
            text=True,
            timeout=_PACTL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def _parse_spec(spec: str) -> tuple[int, float]:
    """``"s16le 2ch 48000Hz"`` -> (2, 48000.0)."""
    channels = re.search(r"(\d+)ch", spec)
    rate = re.search(r"(\d+)Hz", spec)
    return (int(channels[1]) if channels else 2, float(rate[1]) if rate else 48000.0)


def _names(device: CaptureDevice) -> tuple[str, ...]:
    return (device.name,) if device.pulse_source is None else (device.name, device.pulse_source)


def find_device(query: str, devices: Sequence[CaptureDevice]) -> CaptureDevice:
    """Pick a device by PortAudio index, exact name, or unique case-insensitive substring.

    Raises :class:`AudioSourceError` listing the candidates when nothing or
    more than one device matches.
    """
    text = query.strip()
    if text.isdigit():
        for device in devices:
            if device.index == int(text):
                return device
        raise AudioSourceError(
            f"no capture device with index {text}; {_candidates(devices)} "
            "(run `captions-tui devices`)"
        )
    exact = [d for d in devices if text in _names(d)]
    if len(exact) == 1:
        return exact[0]
    needle = text.casefold()
    matches = exact or [d for d in devices if any(needle in n.casefold() for n in _names(d))]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioSourceError(
            f"no capture device matches {query!r}; {_candidates(devices)} "
            "(run `captions-tui devices`)"
        )
    raise AudioSourceError(
        f"{query!r} matches {len(matches)} capture devices; {_candidates(matches)} "
        "(give more of the name, or the index)"
    )


def _candidates(devices: Sequence[CaptureDevice]) -> str:
    if not devices:
        return "no capture devices were found"
    listed = ", ".join(
        f"{d.index}: {d.name!r}" if d.index is not None else repr(d.pulse_source) for d in devices
    )
    return f"candidates: {listed}"
