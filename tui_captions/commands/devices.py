"""``captions-tui devices``: the capture sources ``live --device`` (and the TUI) can open."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "devices",
        help="list capture devices and sound-server sources (incl. system audio)",
        description="List PortAudio input devices and, when a PulseAudio or PipeWire server "
        "answers, its sources; monitor sources capture what the computer plays. "
        "Pass an index, an exact name or a unique part of a name to `live --device`.",
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tui_captions.audio.devices import list_devices

    devices = list_devices()
    if args.json:
        rows = [{**dataclasses.asdict(d), "kind": d.kind} for d in devices]
        print(json.dumps(rows, indent=2))
        return 0
    console = Console()
    if not devices:
        console.print(
            "No capture devices found (no PortAudio input and no PulseAudio/PipeWire server). "
            "FFmpeg inputs still work: `captions-tui live --input FILE_OR_URL`."
        )
        return 0
    table = Table(title="Capture devices", caption="* system default", box=box.SIMPLE_HEAD)
    for column in ("index", "name", "host API", "channels", "rate", "kind"):
        table.add_column(
            column,
            justify="right" if column in ("index", "channels") else "left",
            overflow="fold",  # names are what --device takes: never cut them short
        )
    for device in devices:
        index = "" if device.index is None else str(device.index)
        table.add_row(
            f"{index}*" if device.is_default else index,
            device.name if device.pulse_source is None else f"{device.name}\n{device.pulse_source}",
            device.host_api,
            str(device.channels),
            f"{device.default_rate:g} Hz",
            device.kind,
        )
    console.print(table)
    return 0
