"""Write real audio files (any codec, rate, channel count) with PyAV for tests."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from hypothesis import strategies as st

CODECS = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame"}


def write_audio(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    """Encode float samples in [-1, 1] (shape (n,) or (n, channels)) by the file's extension."""
    data = samples.reshape(-1, 1) if samples.ndim == 1 else samples
    data = np.repeat(data, channels, axis=1) if data.shape[1] != channels else data
    codec = CODECS[path.suffix]
    with av.open(str(path), "w") as container:
        layout = "mono" if channels == 1 else "stereo"
        stream = container.add_stream(codec, rate=rate, layout=layout)
        assert isinstance(stream, av.AudioStream)
        formats = stream.codec_context.codec.audio_formats
        assert formats, f"{codec} names no sample format"
        frame_format = formats[0].name
        planar = np.ascontiguousarray(data.T.astype(np.float32))
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=frame_format, layout=layout, rate=rate)
        for converted in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def read_audio(path: Path, rate: int) -> np.ndarray:
    from tui_captions.audio.decode import decode_audio

    return np.concatenate(list(decode_audio(str(path), rate)))


# What people's files hold: a container (by suffix) and codec, the sample formats its
# encoder takes, the channel counts and rates it can write (None: any rate), whether it
# needs a named layout ("5.1", not "6 channels"), and a video stream beside the audio.
@dataclass(frozen=True)
class Kind:
    suffix: str
    codec: str
    sample_formats: tuple[str, ...]
    channels: tuple[int, ...]
    rates: tuple[int, ...] | None = None
    named_only: bool = False
    video: str | None = None


ANY = tuple(range(1, 65))
SURROUND = tuple(range(1, 9))
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
KINDS = (
    Kind("wav", "pcm_u8", ("u8",), ANY),
    Kind("wav", "pcm_s16le", ("s16",), ANY),
    Kind("wav", "pcm_s24le", ("s32",), ANY),
    Kind("wav", "pcm_s32le", ("s32",), ANY),
    Kind("wav", "pcm_f32le", ("flt",), ANY),
    Kind("wav", "pcm_f64le", ("dbl",), ANY),
    Kind("flac", "flac", ("s16", "s32"), SURROUND),
    Kind("ogg", "libopus", ("s16", "flt"), (1, 2, 5, 6, 7, 8), OPUS_RATES, named_only=True),
    Kind("opus", "libopus", ("flt",), (1, 2), (48000,), named_only=True),
    Kind("mp3", "libmp3lame", ("s16p", "s32p", "fltp"), (1, 2), (8000, 22050, 44100, 48000), True),
    Kind("m4a", "aac", ("fltp",), SURROUND, (8000, 16000, 22050, 44100, 48000, 96000), True),
    Kind("m4a", "alac", ("s16p", "s32p"), (1, 2, 4, 5, 6), named_only=True),
    Kind("mkv", "pcm_s16le", ("s16",), ANY, video="libx264"),
    Kind("mkv", "aac", ("fltp",), SURROUND, (44100, 48000), True, "libx264"),
    Kind("webm", "libopus", ("flt",), (1, 2), (48000,), True, "libvpx-vp9"),
    Kind("mp4", "aac", ("fltp",), SURROUND, (16000, 44100, 48000), True, "libx264"),
)


@dataclass(frozen=True)
class AudioFile:
    """One generated file: its kind and what its audio stream holds."""

    kind: Kind
    sample_format: str
    rate: int
    channels: int
    seconds: float
    named_layout: bool  # "7.1" rather than "8 channels" (FFmpeg's order unspecified)


def layout(channels: int, named: bool) -> av.AudioLayout:
    """FFmpeg's default layout for the count (mono, stereo, 5.1, 7.1...) when it names
    one and ``named``, else a layout of that many channels in no named order."""
    if named:
        with contextlib.suppress(ValueError):
            return av.AudioLayout(f"{channels}c")
    return av.AudioLayout(f"{channels} channels")


def tone(channels: int, rate: int, seconds: float) -> np.ndarray:
    """``(samples, channels)`` float32: a different quiet tone in each channel."""
    t = np.arange(max(1, round(rate * seconds))) / rate
    return np.stack(
        [0.25 * np.sin(2 * np.pi * (200 + 37 * c) * t) for c in range(channels)], axis=1
    ).astype(np.float32)


def write_file(path: Path, spec: AudioFile, samples: np.ndarray | None = None) -> Path:
    """Encode ``samples`` (``(n, channels)`` float32; a tone by default) as ``spec`` says,
    with a small video stream beside it for the kinds that carry one."""
    data = tone(spec.channels, spec.rate, spec.seconds) if samples is None else samples
    audio_layout = layout(spec.channels, spec.named_layout)
    with av.open(str(path), "w") as container:
        video: av.VideoStream | None = None
        if spec.kind.video is not None:
            added = container.add_stream(spec.kind.video, rate=10)
            assert isinstance(added, av.VideoStream)
            video = added
            video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        stream = container.add_stream(spec.kind.codec, rate=spec.rate)
        assert isinstance(stream, av.AudioStream)
        stream.codec_context.layout = audio_layout
        stream.codec_context.format = spec.sample_format
        # Packed input: PyAV's planar frames of 8+ channels are unsafe to fill.
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(data).reshape(1, -1), format="flt", layout=audio_layout
        )
        frame.sample_rate = spec.rate
        resampler = av.AudioResampler(
            format=spec.sample_format,
            layout=audio_layout,
            rate=spec.rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        for converted in [*resampler.resample(frame), *resampler.resample(None)]:
            container.mux(stream.encode(converted))
        container.mux(stream.encode(None))
        if video is not None:
            for index in range(max(1, round(10 * spec.seconds))):
                picture = av.VideoFrame.from_ndarray(
                    np.full((48, 64, 3), index * 20 % 256, np.uint8), format="rgb24"
                )
                picture.pts = index
                container.mux(video.encode(picture))
            container.mux(video.encode(None))
    return path


def truncated(path: Path, keep: float) -> Path:
    """The file cut after ``keep`` (0..1) of its bytes, as an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def flipped(path: Path, positions: list[float]) -> Path:
    """The file with one byte inverted at each relative position (0..1)."""
    data = bytearray(path.read_bytes())
    for position in positions:
        index = min(len(data) - 1, int(len(data) * position))
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def header_only(path: Path, size: int) -> Path:
    """The first ``size`` bytes: what a recorder leaves when it crashed at once."""
    path.write_bytes(path.read_bytes()[:size])
    return path


# Hypothesis strategies over the kinds above.


@st.composite
def audio_files(draw: st.DrawFn, seconds: float = 0.3) -> AudioFile:
    """A file people could have: a kind, then a format, rate and channel count it allows."""
    kind = draw(st.sampled_from(KINDS))
    rates = kind.rates or (8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000, 384000)
    return AudioFile(
        kind,
        draw(st.sampled_from(kind.sample_formats)),
        draw(st.sampled_from(rates)),
        draw(st.sampled_from(kind.channels)),
        seconds,
        kind.named_only or draw(st.booleans()),
    )


Damage = tuple[str, list[float]]


@st.composite
def damage(draw: st.DrawFn) -> Damage:
    """How a file got hurt: cut short, bytes inverted, or only its first bytes left."""
    how = draw(st.sampled_from(("truncated", "flipped", "header")))
    if how == "truncated":
        return how, [draw(st.floats(0.0, 0.99))]
    if how == "flipped":
        return how, draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
    return how, [float(draw(st.sampled_from((0, 4, 12, 44, 100, 512, 1024))))]


def damaged(path: Path, hurt: Damage) -> Path:
    how, values = hurt
    if how == "truncated":
        return truncated(path, values[0])
    if how == "flipped":
        return flipped(path, values)
    return header_only(path, int(values[0]))
