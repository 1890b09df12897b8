"""The cameras the picker offers: Linux's video capture devices, as their drivers name them.

A USB camera shows up as two or more ``/dev/video*`` nodes: the one whose
``index`` is 0 captures pictures, the others carry metadata. Elsewhere (macOS,
Windows) nothing is listed: name the camera with ``--camera``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_captions.audio.protocol import Camera

V4L2_SYSFS = Path("/sys/class/video4linux")


@dataclass(frozen=True)
class CameraDevice:
    """One camera to pick: what its driver calls it, and how FFmpeg opens it."""

    name: str
    camera: Camera


def list_cameras(sysfs: Path = V4L2_SYSFS) -> list[CameraDevice]:
    """Every capture node under ``sysfs``, in device order (video0 before video10)."""
    found = []
    for node in sysfs.glob("video*"):
        number = node.name.removeprefix("video")
        if not number.isdigit() or _read(node / "index") not in ("", "0"):
            continue
        name = _read(node / "name") or node.name
        found.append((int(number), CameraDevice(name, Camera(f"/dev/{node.name}", "v4l2"))))
    return [device for _, device in sorted(found, key=lambda pair: pair[0])]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""
