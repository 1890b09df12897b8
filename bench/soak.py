"""Long-session soak of the live pipeline: capture worker -> inference thread -> recognizer.

    python -m bench.soak [--minutes 60] [--speed 1] [--size base] [--quantize int8]

A long file of espeak-ng speech with pauses (so segments end and restart) is
played through the real capture worker at ``speed`` times real time (1 = the
real thing; a higher speed keeps the per-chunk work the same and only shortens
the wait). Printed: per-chunk compute median over the first and the last five
minutes of audio (and of every five), resident memory after warm-up and at
the end, dropped chunks, latency p50/p95; then, as a control, the first five
minutes decoded again by a new recognizer: a slowdown that shows there too
is the machine's, not something the session accumulated.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.latency import BLANK_BIAS, SPEECH, paced_compute
from tests.audio_files import write_audio
from tools.random_model import make_random_model
from tui_captions.asr.defaults import DEFAULT_QUANTIZE, QUANTIZE_MODES
from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.emformer.runtime import prepare_model
from tui_captions.asr.runtime import configure_threads
from tui_captions.audio.decode import decode_audio, fixed_chunks
from tui_captions.audio.protocol import FfmpegSource
from tui_captions.core.events import LiveEvent, RecognizerUpdate, SourceEnded
from tui_captions.core.stats import percentile
from tui_captions.pipeline.channel import LiveEngine

WARM_UP_S = 120.0  # audio seconds before memory counts as settled


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def long_speech(path: Path, minutes: float, rate: int) -> Path:
    wav = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True)
    speech = np.concatenate(list(decode_audio(str(wav), rate)))
    pause = np.zeros(rate, dtype=np.float32)  # a second of silence: an endpoint
    unit = np.concatenate((speech, pause))
    repeats = int(np.ceil(minutes * 60 * rate / unit.size))
    return write_audio(path, np.tile(unit, repeats)[: int(minutes * 60 * rate)], rate)


def fresh_recognizer_median(files: ModelFiles, audio: Path, chunks: int, speed: float) -> float:
    """Median compute of a new recognizer over the first ``chunks`` chunks, paced as the soak."""
    samples = iter(decode_audio(str(audio), files.config.sample_rate))
    first = list(itertools.islice(fixed_chunks(samples, files.config.chunk_samples), chunks))
    times = paced_compute(Recognizer(files), first, files.config.chunk_seconds / speed)
    return percentile(times, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--size", choices=["base", "small"], default="base")
    parser.add_argument("--quantize", choices=QUANTIZE_MODES, default=DEFAULT_QUANTIZE)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure_threads(args.threads)
    with tempfile.TemporaryDirectory() as work:
        model_dir = Path(work) / "model"
        make_random_model(model_dir, args.size, blank_bias=BLANK_BIAS[args.size])
        files = prepare_model(load_model_dir(model_dir), args.quantize)
        audio = long_speech(Path(work) / "long.flac", args.minutes, files.config.sample_rate)
        chunk_s = files.config.chunk_seconds
        compute: list[float] = []
        latency: list[float] = []
        memory: dict[str, float] = {}
        ended = threading.Event()
        summary: dict[str, object] = {}

        def listener(event: LiveEvent) -> None:
            if isinstance(event, RecognizerUpdate):
                compute.append(event.compute_ms)
                latency.append(event.latency_ms)
                summary["dropped"] = event.dropped
                if "warm" not in memory and len(compute) * chunk_s >= WARM_UP_S:
                    memory["warm"] = resident_mb()
            elif isinstance(event, SourceEnded):
                summary["reason"] = event.reason
                summary["dropped"] = event.dropped
                ended.set()

        engine = LiveEngine(Recognizer(files), listener)
        started = time.monotonic()
        engine.start(FfmpegSource(str(audio), speed=args.speed))
        ended.wait()
        engine.stop()
        memory["end"] = resident_mb()
        five = round(300 / chunk_s)
        fresh = fresh_recognizer_median(files, audio, five, args.speed)
    first, last = percentile(compute[:five], 50), percentile(compute[-five:], 50)
    result = {
        "minutes": args.minutes,
        "speed": args.speed,
        "size": args.size,
        "quantize": args.quantize,
        "wall_minutes": round((time.monotonic() - started) / 60, 1),
        "chunks": len(compute),
        "ended": summary.get("reason"),
        "dropped": summary.get("dropped"),
        "compute_ms_p50_first_5min": round(first, 2),
        "compute_ms_p50_last_5min": round(last, 2),
        "last_over_first": round(last / first, 3),
        # The first five minutes again, now, with a new recognizer (no state carried):
        # if the last five minutes are as slow as this, the slowdown is not the session's.
        "compute_ms_p50_fresh_recognizer_at_end": round(fresh, 2),
        "last_over_fresh": round(last / fresh, 3),
        # A trend (something accumulates) reads differently from a step (the machine).
        "compute_ms_p50_per_5min": [
            round(percentile(compute[start : start + five], 50), 2)
            for start in range(0, len(compute), five)
        ],
        "latency_ms_p50": round(percentile(latency, 50), 1),
        "latency_ms_p95": round(percentile(latency, 95), 1),
        "rss_mb_after_warm_up": round(memory.get("warm", float("nan")), 1),
        "rss_mb_end": round(memory["end"], 1),
        "rss_growth_mb": round(memory["end"] - memory.get("warm", float("nan")), 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
