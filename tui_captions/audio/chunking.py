"""Cutting a stream of 16 kHz mono blocks into model-sized chunks, with times and levels.

Pure logic (NumPy only), shared by the capture worker and ``transcribe``.
"""

from __future__ import annotations

import math

import numpy as np

from tui_captions.audio.protocol import AudioChunk

# Level reported for digital silence: low enough that any real signal is above it.
SILENCE_DBFS = -120.0


def dbfs(value: float) -> float:
    """Amplitude relative to full scale (1.0) in decibels, floored at :data:`SILENCE_DBFS`."""
    if value <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(value))


def levels(samples: np.ndarray) -> tuple[float, float]:
    """RMS and peak level of a block in dBFS."""
    if samples.size == 0:
        return SILENCE_DBFS, SILENCE_DBFS
    as64 = samples.astype(np.float64, copy=False)
    rms = float(np.sqrt(np.mean(as64 * as64)))
    peak = float(np.max(np.abs(as64)))
    return dbfs(rms), dbfs(peak)


class Regrouper:
    """Regroups blocks of any length into pieces of exactly ``size`` samples."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("chunk size must be at least 1")
        self.size = size
        self._pending = np.zeros(0, dtype=np.float32)

    @property
    def pending(self) -> int:
        """Samples held back until a full piece is available."""
        return int(self._pending.size)

    def push(self, block: np.ndarray) -> list[np.ndarray]:
        pending = np.concatenate((self._pending, block.astype(np.float32, copy=False)))
        count = pending.size // self.size
        pieces = [pending[i * self.size : (i + 1) * self.size] for i in range(count)]
        self._pending = pending[count * self.size :]
        return pieces

    def flush(self) -> np.ndarray | None:
        """The held-back tail zero-padded to a full piece, or None if nothing is held."""
        if not self._pending.size:
            return None
        tail = np.pad(self._pending, (0, self.size - self._pending.size))
        self._pending = np.zeros(0, dtype=np.float32)
        return tail


class Chunker:
    """Turns timed 16 kHz blocks into :class:`AudioChunk` objects with consecutive ``seq``.

    Each pushed block comes with the monotonic capture time of its last
    sample; sample times are counted back from the newest block at the
    nominal rate, so device clock drift never accumulates.
    """

    def __init__(self, chunk_samples: int, sample_rate: int) -> None:
        self._regroup = Regrouper(chunk_samples)
        self._period = 1.0 / sample_rate
        self._t_newest = 0.0
        self._overflow = False
        self.next_seq = 0

    def push(self, block: np.ndarray, t_last: float, overflow: bool = False) -> list[AudioChunk]:
        """Add a block whose last sample was captured at ``t_last``."""
        self._overflow = self._overflow or overflow
        if block.size:
            self._t_newest = t_last
        pieces = self._regroup.push(block)
        # Samples after the last emitted piece: the newest `pending` ones.
        behind = self._regroup.pending
        chunks = []
        for index, piece in enumerate(pieces):
            after = behind + (len(pieces) - 1 - index) * self._regroup.size
            chunks.append(self._make(piece, self._t_newest - after * self._period))
        return chunks

    def flush(self) -> AudioChunk | None:
        """End of input: the last partial chunk, zero-padded (its padding counts as time)."""
        missing = self._regroup.size - self._regroup.pending
        tail = self._regroup.flush()
        if tail is None:
            return None
        return self._make(tail, self._t_newest + missing * self._period)

    def _make(self, samples: np.ndarray, t_last: float) -> AudioChunk:
        rms, peak = levels(samples)
        chunk = AudioChunk(
            seq=self.next_seq,
            samples=samples,
            t_first=t_last - (samples.size - 1) * self._period,
            t_last=t_last,
            rms_dbfs=rms,
            peak_dbfs=peak,
            overflow=self._overflow,
        )
        self.next_seq += 1
        self._overflow = False
        return chunk
