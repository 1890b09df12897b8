"""Meeting mode: two sources at once, each line under its own label, from real capture.

Two PulseAudio null sinks; different espeak-ng sentences are played into each,
overlapping in time, and ``live`` captures both monitors (two capture workers,
two recognizer streams over the one tiny model).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import srt
import webvtt

from tests.pulse import NullSink, PulseServer, pactl
from tests.waiting import OutputLines, journaled, wait_until

TINY_MODEL = Path(__file__).parents[1] / "fixtures" / "tiny-emformer"
CLI = [sys.executable, "-m", "tui_captions.cli"]
FIRST = "the dog is green and the water is black"
SECOND = "a big bird can sing in the cold morning"


def espeak(path: Path, text: str) -> Path:
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True)
    return path


def capturing(process: subprocess.Popen[str]) -> tuple[OutputLines, OutputLines]:
    """Its standard output and error, once it says on the latter that both sources capture."""
    assert process.stdout is not None and process.stderr is not None
    printed, errors = OutputLines(process.stdout), OutputLines(process.stderr)
    errors.wait_for(lambda lines: "".join(lines).count("capturing") >= 2, "two captures", 60)
    return printed, errors


def finals_from(lines: list[str]) -> set[str]:
    """The sources of the final lines among ``live``'s JSON lines."""
    events = [json.loads(line) for line in lines]
    return {str(e["source"]) for e in events if e["type"] == "final"}


def test_two_sinks_captioned_at_once_each_under_its_label(
    tmp_path: Path, pulse_server: PulseServer
) -> None:
    sink_a, sink_b = pulse_server.add_sink("meet_a"), pulse_server.add_sink("meet_b")
    process = subprocess.Popen(
        [*CLI, "live", "--format", "jsonl", "--partials", "--model", str(TINY_MODEL),
         "--device", sink_a.monitor, "--label", "Ann", "--device", sink_b.monitor, "--label", "Bo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    printed, errors = capturing(process)
    first = sink_a.play(espeak(tmp_path / "a.wav", FIRST))
    printed.wait_for(bool, "first words of Ann's", 30)  # her audio is flowing
    time.sleep(0.5)  # then Bo starts, while Ann still speaks
    second = sink_b.play(espeak(tmp_path / "b.wav", SECOND))
    first.wait(30)
    second.wait(30)
    printed.wait_for(lambda lines: finals_from(lines) == {"Ann", "Bo"}, "endpoint of both", 30)
    os.kill(process.pid, signal.SIGINT)
    process.wait(30)
    events = [json.loads(line) for line in printed.all(5).splitlines()]
    assert process.returncode == 130, errors.all(5)
    assert events[0]["source"] == "Ann"
    finals = [e for e in events if e["type"] == "final"]
    said = {
        label: " ".join(e["text"] for e in finals if e["source"] == label)
        for label in ["Ann", "Bo"]
    }
    # Which words came under which label: the readable text's marks and capitals aside.
    heard_from = {label: set(re.findall(r"[a-z']+", text.lower())) for label, text in said.items()}
    assert len(heard_from["Ann"] & set(FIRST.split())) >= 3, said
    assert len(heard_from["Bo"] & set(SECOND.split())) >= 3, said
    assert not heard_from["Ann"] & {"bird", "sing", "cold", "morning"}, said
    assert not heard_from["Bo"] & {"dog", "green", "water", "black"}, said
    ann_start = min(e["start"] for e in finals if e["source"] == "Ann")
    bo_start = min(e["start"] for e in finals if e["source"] == "Bo")
    assert bo_start - ann_start > 0.4  # one time line: Bo began after Ann was heard

    exports = {
        fmt: subprocess.run(
            [*CLI, "export", "last", "--format", fmt], capture_output=True, text=True, timeout=60
        ).stdout
        for fmt in ("srt", "vtt", "txt")
    }
    cues = list(srt.parse(exports["srt"]))
    assert {c.content.split(":")[0] for c in cues} == {"Ann", "Bo"}
    captions = webvtt.from_string(exports["vtt"]).captions
    assert {c.voice for c in captions} == {"Ann", "Bo"}
    assert all(line.split(": ")[0] in ("Ann", "Bo") for line in exports["txt"].splitlines())
    only_bo = subprocess.run(
        [*CLI, "export", "last", "--source", "Bo"], capture_output=True, text=True, timeout=60
    )
    assert only_bo.stdout and all(line.startswith("Bo: ") for line in only_bo.stdout.splitlines())
    unknown = subprocess.run(
        [*CLI, "export", "last", "--source", "Cy"], capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode != 0 and "its sources are 'Ann', 'Bo'" in unknown.stderr


@pytest.mark.parametrize("echo", [True, False], ids=["speakers-on", "headphones"])
def test_the_microphone_hearing_the_speakers_is_not_captioned_twice(
    tmp_path: Path, pulse_server: PulseServer, echo: bool
) -> None:
    """A "microphone" (a null sink's monitor, taken as an input device through a remap
    source) hears what system audio plays, slightly later; its copy of the line is dropped.
    Without the overlap (headphones), its own words stay."""
    system, room = pulse_server.add_sink("meet_sys"), pulse_server.add_sink("meet_room")
    microphone = f"{room.name}_mic"
    remap = pactl(
        "load-module", "module-remap-source", f"master={room.monitor}",
        f"source_name={microphone}", f"source_properties=device.description={microphone}",
    )  # fmt: skip
    try:
        captioned = caption_call(tmp_path, microphone, system, room, echo)
    finally:
        pactl("unload-module", remap)  # before the sink it hangs from
    from_you = [str(e["text"]) for e in captioned if e["source"] == "You"]
    assert {e["source"] for e in captioned} >= {"Them"}, captioned
    if echo:
        assert from_you == [], captioned
    else:
        assert len(set(" ".join(from_you).split()) & set(SECOND.split())) >= 4


def caption_call(
    tmp_path: Path, microphone: str, system: NullSink, room: NullSink, echo: bool
) -> list[dict[str, object]]:
    """The call plays on system audio; the microphone hears it (echo) or its own words."""
    data = tmp_path / "data"
    process = subprocess.Popen(
        [*CLI, "live", "--format", "jsonl", "--model", str(TINY_MODEL),
         "--device", microphone, "--device", system.monitor],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "XDG_DATA_HOME": str(data)},
    )  # fmt: skip
    printed, errors = capturing(process)
    speech = espeak(tmp_path / "call.wav", FIRST)
    players = [system.play(speech)]
    if echo:
        time.sleep(0.08)  # the speakers' sound reaches the microphone a little later
        players.append(room.play(speech))
    else:
        players.append(room.play(espeak(tmp_path / "me.wav", SECOND)))
    for player in players:
        player.wait(30)
    # Both endpoints: the journal has each source's line (the microphone's an echo or not).
    sessions = data / "captions-tui" / "sessions"
    both = {"You", "Them"}
    wait_until(lambda: {s.channel for s in journaled(sessions)} == both, "line of each", 30)
    os.kill(process.pid, signal.SIGINT)
    process.wait(30)
    assert process.returncode == 130, errors.all(5)
    return [e for e in map(json.loads, printed.all(5).splitlines()) if e["type"] == "final"]
