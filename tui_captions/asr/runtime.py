"""Torch thread policy.

One intra-op thread by default: on a 2-core machine, two torch threads beside
another busy process made a small model ~60x slower per chunk than one (9 ms
-> 540 ms), while one thread keeps latency bounded; the chunks are too small
for more threads to pay off.
"""

from __future__ import annotations

import contextlib

import torch

from tui_captions.asr.defaults import DEFAULT_THREADS


def configure_threads(threads: int = DEFAULT_THREADS) -> None:
    torch.set_num_threads(max(1, threads))
    # Settable only before the first parallel op; later calls keep the first value.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
