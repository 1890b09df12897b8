"""Thread policy under load: per-chunk compute with and without a CPU hog beside it.

    python -m bench.load [--size base] [--seconds 20] [--threads 1 2] [--quantize none int8]

For each torch thread count (and compute mode), the same audio is decoded
once on a quiet machine and once while other processes keep every core busy
(one spinning process per core, as a compile or a browser tab would).
Printed: p50/p95 per chunk and the loaded/unloaded p95 ratio (target: <= 2
for the default policy).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from bench.latency import BLANK_BIAS, paced_compute, speech_chunks, summary
from tools.random_model import make_random_model
from tui_captions.asr.defaults import DEFAULT_QUANTIZE, QUANTIZE_MODES
from tui_captions.asr.emformer.model_dir import load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.emformer.runtime import prepare_model
from tui_captions.asr.engine import DecodeOptions


def _spin() -> None:
    while True:
        pass


@contextmanager
def cpu_hog(processes: int) -> Iterator[None]:
    context = multiprocessing.get_context("spawn")
    hogs = [context.Process(target=_spin, daemon=True) for _ in range(processes)]
    for hog in hogs:
        hog.start()
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["base", "small"], default="base")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quantize", nargs="+", default=[DEFAULT_QUANTIZE], choices=QUANTIZE_MODES)
    parser.add_argument(
        "--unpaced",
        dest="paced",
        action="store_false",
        help="chunks back to back (the decoder never waits for audio, unlike a live session)",
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as work:
        model_dir = Path(work) / "model"
        make_random_model(model_dir, args.size, blank_bias=BLANK_BIAS[args.size])
        files = load_model_dir(model_dir)
        config = files.config
        chunks = speech_chunks(Path(work), args.seconds, config.chunk_samples, config.sample_rate)
    period = config.chunk_seconds if args.paced else None
    print(f"{args.size} model, beam {args.beam}, {args.seconds:.0f} s of audio, {cores} cores")
    print(f"{'compute':>8} {'threads':>7} {'load':>10} {'p50 ms':>8} {'p95 ms':>8} {'p95 x':>6}")
    for quantize in args.quantize:
        prepared = prepare_model(files, quantize)
        for threads in args.threads:
            torch.set_num_threads(threads)
            quiet_p95 = np.nan
            for loaded in (False, True):
                recognizer = Recognizer(prepared, DecodeOptions(beam=args.beam))
                with cpu_hog(cores) if loaded else contextlib.nullcontext():
                    times = paced_compute(recognizer, chunks, period)
                row = summary(times, config.chunk_seconds)
                quiet_p95 = row["p95"] if not loaded else quiet_p95
                label = f"{cores} hogs" if loaded else "quiet"
                print(
                    f"{quantize:>8} {threads:>7} {label:>10} {row['p50']:8.1f} {row['p95']:8.1f} "
                    f"{row['p95'] / quiet_p95:6.2f}"
                )


if __name__ == "__main__":
    main()
