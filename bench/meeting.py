"""Meeting mode's cost: one source, then two at once, on real capture workers.

    python -m bench.meeting [--minutes 10] [--model PATH]

A private PulseAudio server with two null sinks; espeak-ng speech plays into
each without pause (both sources busy), and each sink's monitor is captured
by its own spawned worker and decoded by its own stream over one shared model
(by default a random-initialised Emformer base: the default model's size and
cost, no download), one torch thread each. First one source alone for the
given minutes, then both together for as long. Printed per source: latency
p50/p95 (capture of a chunk's last sample to its text), RTF and dropped
chunks, and the ratio of the two-source p95 to the single-source p95.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tools.pulse import NullSink, private_pulse
from tools.random_model import make_random_model
from tui_captions.asr.engine import AsrModel, DecodeOptions, RunOptions
from tui_captions.asr.registry import engine_for
from tui_captions.asr.runtime import configure_threads
from tui_captions.audio.devices import find_device, list_devices
from tui_captions.core.events import LiveEvent, RecognizerUpdate, SourceEnded
from tui_captions.core.stats import percentile
from tui_captions.pipeline.channel import LiveEngine

TEXTS = (
    "the weather today is mild with a light wind from the west and a chance of rain "
    "later in the evening so take a coat if you go out after dinner",
    "we should look at the budget for next year before the meeting on friday and "
    "then decide which projects can start in the spring",
)


class Player:
    """Plays a clip into a sink over and over until stopped."""

    def __init__(self, sink: NullSink, wav: Path) -> None:
        self._sink, self._wav = sink, wav
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._process = self._sink.play(self._wav)
            self._process.wait()

    def stop(self) -> None:
        self._stopping.set()
        if self._process is not None:
            self._process.terminate()
        self._thread.join()


def run(model: AsrModel, sinks: list[NullSink], seconds: float) -> list[dict[str, object]]:
    """Caption the sinks' monitors for ``seconds``; figures per source."""
    devices = list_devices()
    events: list[queue.Queue[LiveEvent]] = [queue.Queue() for _ in sinks]
    engines = [
        LiveEngine(model.create_stream(DecodeOptions()), box.put)
        for box in events  # one stream (and worker) per source, one model
    ]
    origin = time.monotonic()
    for engine, sink in zip(engines, sinks, strict=True):
        engine.start(find_device(sink.monitor, devices).source(), 0, origin)
    time.sleep(seconds)
    for engine in engines:
        engine.stop()
    rows = []
    for sink, box in zip(sinks, events, strict=True):
        updates = []
        dropped = 0
        while not box.empty():
            event = box.get()
            if isinstance(event, RecognizerUpdate):
                updates.append(event)
            elif isinstance(event, SourceEnded):
                dropped = event.dropped
        skip = len(updates) // 20  # the first seconds: worker and model warming up
        latency = [u.latency_ms for u in updates[skip:]]
        compute = [u.compute_ms for u in updates[skip:]]
        chunk_s = model.format.chunk_seconds
        rows.append(
            {
                "source": sink.name,
                "chunks": len(updates),
                "latency_p50_ms": round(percentile(latency, 50), 1),
                "latency_p95_ms": round(percentile(latency, 95), 1),
                "rtf": round(sum(compute) / 1000 / (len(compute) * chunk_s), 3),
                "dropped": dropped,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="per configuration")
    parser.add_argument("--model", type=Path, help="model directory (default: random base)")
    args = parser.parse_args()
    configure_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        directory = args.model
        if directory is None:
            directory = work / "emformer-base"
            make_random_model(directory, size="base", blank_bias=4.0)
        model = engine_for(directory)(directory, RunOptions(1, "int8", "cpu"))
        (work / "pulse").mkdir()
        with private_pulse(work / "pulse") as server:
            sinks = [server.add_sink(f"bench_{n}") for n in range(2)]
            players = []
            for sink, text, n in zip(sinks, TEXTS, range(2), strict=True):
                wav = work / f"speech{n}.wav"
                subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
                players.append(Player(sink, wav))
            print(f"model {directory.name} (int8, 1 thread); {args.minutes:g} min each")
            single = run(model, sinks[:1], args.minutes * 60)
            print(json.dumps({"sources": 1, "figures": single}), flush=True)
            both = run(model, sinks, args.minutes * 60)
            print(json.dumps({"sources": 2, "figures": both}), flush=True)
            for player in players:
                player.stop()
    ratio = max(float(str(r["latency_p95_ms"])) for r in both) / float(
        str(single[0]["latency_p95_ms"])
    )
    print(json.dumps({"p95_two_over_one": round(ratio, 2)}))


if __name__ == "__main__":
    main()
