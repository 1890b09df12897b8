"""The transcript pane's cost over a long session: time to show a line, search, memory.

    python -m bench.transcript [--lines 5000] [--size 120x40] [--unfrozen]

The real app (the snapshot tests' fixed backend: no model, no audio) driven
by Textual's Pilot: ``--lines`` final lines of 12 words are posted as engine
events, one at a time, first from one source, then from two sources taking
turns, where every third line began before the one shown last (it belongs
above it, as happens in a meeting). For each line: the wall time from
posting the event until the app is idle again with the screen updated
(Pilot's pause, which itself sleeps a little: the quiet run below measures
that floor), the process's CPU time in that while (the work, without the
sleeps), and the time spent in the app's handler. Then a search typed one
key at a time. Printed: mean of the first and last tenth, their ratio, p95,
max, per keystroke, the process's resident memory, and the full garbage
collections during the lines (how many, their longest and total time).
``--unfrozen``: without the app's heap freeze (``core/heap.py``), to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from tests.snapshots.fixed_app import fixed_app, update
from tui_captions.core import heap
from tui_captions.core.segments import Segment
from tui_captions.core.stats import percentile
from tui_captions.tui.app import CaptionsApp
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.widgets.transcript import TranscriptPane

# Each source says other words: the echo guard would drop a microphone line that
# repeats what system audio said.
WORDS = (
    "the budget for next year will depend on how many projects we can start in spring",
    "and whether our team agrees to move this review meeting to friday afternoon or not",
)


def sentence(rng: random.Random, source: int) -> str:
    words = WORDS[source].split()
    return " ".join(rng.choice(words) for _ in range(12))


def rss_mb() -> float:
    """Resident memory now (Linux: /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FullCollections:
    """The time of each full (oldest generation) garbage collection while it is on."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds.append(time.perf_counter() - self._started)


async def run(lines: int, size: tuple[int, int], meeting: bool) -> dict[str, float]:
    rng = random.Random(1)
    collections = FullCollections()
    with tempfile.TemporaryDirectory() as tmp:
        app = fixed_app(Path(tmp), "captions-dark", with_source=True, meeting=meeting)
        handled: list[float] = []
        original = CaptionsApp.on_engine_event

        def timed(self: CaptionsApp, message: EngineEvent) -> None:
            started = time.perf_counter()
            original(self, message)
            handled.append(time.perf_counter() - started)

        # Textual finds handlers on the class: time this process's app's one.
        CaptionsApp.on_engine_event = timed  # type: ignore[method-assign]
        async with app.run_test(size=size) as pilot:
            while app.captions is None or not app.generation:
                await pilot.pause()
            channels = list(app.generation)
            quiet: list[float] = []
            for _ in range(20):  # the harness's own floor: an event that shows nothing
                started = time.perf_counter()
                event = update(0, "", (), -30.0, 50.0)
                app.post_message(EngineEvent(event, app.generation[channels[0]], channels[0]))
                await pilot.pause()
                quiet.append(time.perf_counter() - started)
            handled.clear()
            shown: list[float] = []
            cpu: list[float] = []
            rss_start = rss_mb()
            clock = 0.0
            gc.callbacks.append(collections)
            for index in range(lines):
                channel = channels[index % len(channels)]
                start = clock - 1.5 if meeting and index % 3 == 2 else clock
                clock += 3.0
                text = sentence(rng, index % len(channels))
                segment = Segment(index, start, start + 2.5, text, channel)
                event = update(index + 1, "", (segment,), -20.0, 60.0)
                started, spent = time.perf_counter(), time.process_time()
                app.post_message(EngineEvent(event, app.generation[channel], channel))
                await pilot.pause()
                shown.append(time.perf_counter() - started)
                cpu.append(time.process_time() - spent)
            gc.callbacks.remove(collections)
            pane = app.screen.query_one(TranscriptPane)
            order = [s.start for s in pane.shown]
            assert order == sorted(order) and len(order) == lines, "lines out of order"
            rss_end = rss_mb()
            keystrokes: list[float] = []
            keystrokes_cpu: list[float] = []
            query = "budget for"
            for end in range(1, len(query) + 1):
                started, spent = time.perf_counter(), time.process_time()
                pane.search(query[:end])
                await pilot.pause()
                keystrokes.append(time.perf_counter() - started)
                keystrokes_cpu.append(time.process_time() - spent)
            await pilot.press("q")
        CaptionsApp.on_engine_event = original  # type: ignore[method-assign]
    tenth = max(1, lines // 10)
    first, last = statistics.mean(shown[:tenth]), statistics.mean(shown[-tenth:])
    return {
        "floor_ms": 1000 * statistics.median(quiet),
        "first_tenth_ms": 1000 * first,
        "last_tenth_ms": 1000 * last,
        "ratio": last / first,
        "p95_ms": 1000 * percentile(shown, 95),
        "max_ms": 1000 * max(shown),
        "cpu_first_tenth_ms": 1000 * statistics.mean(cpu[:tenth]),
        "cpu_last_tenth_ms": 1000 * statistics.mean(cpu[-tenth:]),
        "cpu_p95_ms": 1000 * percentile(cpu, 95),
        "cpu_max_ms": 1000 * max(cpu),
        "handler_first_tenth_ms": 1000 * statistics.mean(handled[:tenth]),
        "handler_last_tenth_ms": 1000 * statistics.mean(handled[-tenth:]),
        "handler_max_ms": 1000 * max(handled),
        "search_key_mean_ms": 1000 * statistics.mean(keystrokes),
        "search_key_max_ms": 1000 * max(keystrokes),
        "search_key_cpu_mean_ms": 1000 * statistics.mean(keystrokes_cpu),
        "search_key_cpu_max_ms": 1000 * max(keystrokes_cpu),
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "full_collections": len(collections.seconds),
        "full_collection_max_ms": 1000 * max(collections.seconds, default=0.0),
        "full_collections_total_ms": 1000 * sum(collections.seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--unfrozen", action="store_true", help="without the heap freeze")
    args = parser.parse_args()
    if args.unfrozen:
        heap.settle = gc.collect  # type: ignore[assignment]
    width, height = (int(n) for n in args.size.split("x"))
    for meeting in (False, True):
        figures = asyncio.run(run(args.lines, (width, height), meeting))
        label = "two sources, every third line earlier" if meeting else "one source"
        print(f"{label}, {args.lines} lines at {args.size}:")
        for key, value in figures.items():
            print(f"  {key:24} {value:9.2f}")


if __name__ == "__main__":
    main()
