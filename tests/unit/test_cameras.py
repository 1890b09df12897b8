"""The cameras the picker offers, read from a sysfs tree laid out as Linux lays out
/sys/class/video4linux (no camera is attached to the test machine)."""

from __future__ import annotations

from pathlib import Path

from tui_captions.audio.cameras import CameraDevice, list_cameras
from tui_captions.audio.protocol import Camera


def node(sysfs: Path, name: str, index: str | None, label: str | None) -> None:
    folder = sysfs / name
    folder.mkdir(parents=True)
    if index is not None:
        (folder / "index").write_text(f"{index}\n")
    if label is not None:
        (folder / "name").write_text(f"{label}\n")


def test_capture_nodes_in_device_order_named_by_their_drivers(tmp_path: Path) -> None:
    node(tmp_path, "video10", "0", "USB Capture HDMI")
    node(tmp_path, "video0", "0", "Integrated Camera: Integrated C")
    node(tmp_path, "video1", "1", "Integrated Camera: Integrated C")  # its metadata node
    node(tmp_path, "video2", None, None)  # a driver that says nothing
    node(tmp_path, "vbi0", "0", "teletext")
    assert list_cameras(tmp_path) == [
        CameraDevice("Integrated Camera: Integrated C", Camera("/dev/video0", "v4l2")),
        CameraDevice("video2", Camera("/dev/video2", "v4l2")),
        CameraDevice("USB Capture HDMI", Camera("/dev/video10", "v4l2")),
    ]


def test_no_video4linux_no_cameras(tmp_path: Path) -> None:
    assert list_cameras(tmp_path / "missing") == []
