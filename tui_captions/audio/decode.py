"""FFmpeg (PyAV) decoding of files, URLs and FFmpeg input devices to mono float32.

Whatever the source gives (any rate, channel count or sample format) is
resampled by FFmpeg's resampler, never decimated, and channels are averaged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from tui_captions.errors import AudioSourceError


def _open(
    source: str, input_format: str | None, options: dict[str, str]
) -> av.container.InputContainer:
    local = Path(source)
    if input_format is None and "://" not in source and not local.exists():
        raise AudioSourceError(f"{source}: no such file (check the path, or give a URL)")
    try:
        return av.open(source, mode="r", format=input_format, options=options, timeout=10.0)
    except av.error.FFmpegError as exc:
        raise AudioSourceError(f"{source}: cannot be opened as audio ({_reason(exc)})") from None
    except ValueError as exc:  # unknown input format name
        raise AudioSourceError(
            f"{source}: input format {input_format!r} is not known to FFmpeg ({exc})"
        ) from None
    except OSError as exc:
        raise AudioSourceError(f"{source}: cannot be read ({exc.strerror or exc})") from None


def _reason(exc: av.error.FFmpegError) -> str:
    return str(getattr(exc, "strerror", None) or exc).rstrip(".")


def decode_audio(
    source: str,
    sample_rate: int,
    input_format: str | None = None,
    options: dict[str, str] | None = None,
) -> Iterator[np.ndarray]:
    """Yield float32 mono blocks at ``sample_rate`` until the source ends.

    Raises :class:`AudioSourceError` for a source that cannot be opened,
    holds no audio, or fails while decoding.
    """
    container = _open(source, input_format, options or {})
    try:
        if not container.streams.audio:
            raise AudioSourceError(f"{source}: holds no audio stream")
        stream = container.streams.audio[0]
        # Resample per channel, then average: FFmpeg's own stereo->mono matrix adds
        # 3 dB to correlated channels, which would misreport levels and clip.
        resampler = av.AudioResampler(format="fltp", rate=sample_rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield out.to_ndarray().mean(axis=0, dtype=np.float32)
            for out in resampler.resample(None):
                yield out.to_ndarray().mean(axis=0, dtype=np.float32)
        except av.error.FFmpegError as exc:
            raise AudioSourceError(f"{source}: decoding failed ({_reason(exc)})") from None
    finally:
        container.close()


def fixed_chunks(blocks: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Regroup blocks into chunks of exactly ``size`` samples; the last is zero-padded."""
    pending = np.zeros(0, dtype=np.float32)
    for block in blocks:
        pending = np.concatenate((pending, block.astype(np.float32, copy=False)))
        while pending.size >= size:
            yield pending[:size]
            pending = pending[size:]
    if pending.size:
        yield np.pad(pending, (0, size - pending.size))
