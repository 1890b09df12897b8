"""Startup as a person sees it: launch to first paint, to live, to the first caption.

    python -m bench.startup [--runs 3] [--model demo-tiny]

Runs the installed ``captions-tui`` in tmux on the bundled demo clip (FFmpeg
input, real-time pace) with a local model, and reads the screen every 20 ms.
First paint: the session bar is drawn. Live: the model is loaded and audio
flows ("● live"). First caption: a word of the clip's text that was not on
screen at "live" is on screen; the
clip's speech starts ``onset`` seconds in, so caption minus onset is what the
pipeline adds.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.terminal import Terminal
from tui_captions.asr.defaults import DEMO_MODEL
from tui_captions.audio.decode import decode_audio
from tui_captions.commands.demo import demo_clip

ONSET_LEVEL = 0.02  # amplitude that counts as speech


def speech_onset(clip: Path) -> float:
    samples = np.concatenate(list(decode_audio(str(clip), 16000)))
    return float(np.argmax(np.abs(samples) > ONSET_LEVEL)) / 16000


def one_run(terminal: Terminal, model: str, clip: Path, words: set[str], home: Path) -> list[float]:
    command = Path(sys.executable).parent / "captions-tui"
    env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "TERM": "xterm-256color",
    }
    shell = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    app = shlex.join([str(command), "--input", str(clip), "--model", model])
    started = time.monotonic()
    terminal.tmux(
        "new-session", "-d", "-s", "app", "-x", "110", "-y", "30", f"env {shell} {app}; sleep 60"
    )
    marks = []
    for condition, what in ((lambda s: "●" in s, "first paint"), (lambda s: "● live" in s, "live")):
        terminal.wait_for(condition, what, 60, poll_s=0.02)
        marks.append(time.monotonic() - started)
    new_words = words - set(terminal.screen().lower().split())  # not the app's own labels
    terminal.wait_for(lambda s: bool(new_words & set(s.lower().split())), "a caption", 60, 0.02)
    marks.append(time.monotonic() - started)
    terminal.tmux("kill-session", "-t", "app")
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default=DEMO_MODEL, help="a local model name or directory")
    args = parser.parse_args()
    clip = demo_clip()
    words = set(clip.with_suffix(".txt").read_text().lower().split())
    onset = speech_onset(clip)
    terminal = Terminal(f"captions-bench-{os.getpid()}")
    runs = []
    try:
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as home:
                runs.append(one_run(terminal, args.model, clip, words, Path(home)))
    finally:
        subprocess.run(["tmux", "-L", terminal.socket, "kill-server"], capture_output=True)
    print(f"model {args.model}; speech starts {onset:.2f} s into the clip; {args.runs} runs")
    for index, label in enumerate(("first paint", "live", "first caption")):
        values = [run[index] for run in runs]
        print(
            f"{label:>14}: median {statistics.median(values):.2f} s "
            f"(runs: {', '.join(f'{v:.2f}' for v in values)})"
        )
    caption = statistics.median(run[2] for run in runs)
    live = statistics.median(run[1] for run in runs)
    print(f"first caption after live, minus the speech onset: {caption - live - onset:.2f} s")


if __name__ == "__main__":
    main()
