"""The garbage collector and long sessions.

Everything alive once the model is loaded (modules, torch, the model, the
interface) lives as long as the session. Left in the collector's oldest
generation, it is walked by every full collection, which a running app triggers
every few captions: by the end of a 5,000-line meeting each walk took ~100 ms,
the worst pause on screen (``bench.transcript``). Frozen, it is never walked.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what startup left behind, then keep what remains out of full collections."""
    gc.collect()
    gc.freeze()


def release() -> None:
    """Hand the frozen objects back to the collector (the session is over)."""
    gc.unfreeze()
