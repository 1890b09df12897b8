"""FFmpeg (PyAV) decoding of files, URLs and FFmpeg input devices to mono float32.

Whatever the source gives (any rate, channel count or sample format) is
resampled by FFmpeg's resampler, never decimated; channels are averaged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np

from tui_captions.audio.chunking import Regrouper
from tui_captions.audio.protocol import Camera
from tui_captions.errors import AudioSourceError

FRAME_WIDTH = 600  # video frames are read at this width (the seed's 600x340), height to scale
# FFmpeg's resampler (SWR_CH_MAX) takes no more; no recorder we know of writes more.
MAX_CHANNELS = 64


def check_input_format(source: str, input_format: str | None) -> None:
    """Reject an input format name FFmpeg does not know, without opening anything."""
    # FFmpeg names some formats twice ("video4linux2,v4l2"): either name is known.
    known = {name for names in av.formats_available for name in names.split(",")}
    if input_format is not None and input_format not in known:
        raise AudioSourceError(
            f"{source}: input format {input_format!r} is not known to FFmpeg "
            "(see `ffmpeg -formats`; devices are e.g. alsa, pulse, avfoundation, dshow)"
        )


def _open(
    source: str, input_format: str | None, options: dict[str, str]
) -> av.container.InputContainer:
    check_input_format(source, input_format)
    local = Path(source)
    if input_format is None and "://" not in source and not local.exists():
        raise AudioSourceError(f"{source}: no such file (check the path, or give a URL)")
    try:
        return av.open(source, mode="r", format=input_format, options=options, timeout=10.0)
    except av.error.FFmpegError as exc:
        raise AudioSourceError(
            f"{source}: not an audio file, or one FFmpeg cannot read ({_reason(exc)}); "
            "check that it plays in a media player"
        ) from None
    except ValueError as exc:  # unknown input format name
        raise AudioSourceError(
            f"{source}: input format {input_format!r} is not known to FFmpeg ({exc})"
        ) from None
    except OSError as exc:
        raise AudioSourceError(f"{source}: cannot be read ({exc.strerror or exc})") from None


def open_video(camera: Camera) -> tuple[av.container.InputContainer, str]:
    """A camera (any FFmpeg video input) opened, and what it sends; one clear error if not."""
    check_input_format(camera.label, camera.input_format)
    try:
        container = av.open(
            camera.url, mode="r", format=camera.input_format, options=camera.options, timeout=10.0
        )
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        reason = _reason(exc) if isinstance(exc, av.error.FFmpegError) else str(exc)
        raise AudioSourceError(
            f"{camera.label}: the camera cannot be opened ({reason}); check that it is "
            "plugged in and not in use by another program"
        ) from None
    if not container.streams.video:
        container.close()
        raise AudioSourceError(f"{camera.label}: sends no video; is it a camera?")
    context = container.streams.video[0].codec_context
    return container, f"{container.format.name}, {context.name}, {context.width}x{context.height}"


def _reason(exc: av.error.FFmpegError) -> str:
    return str(getattr(exc, "strerror", None) or exc).rstrip(".")


class MonoResampler:
    """Interleaved float blocks of any channel count and rate -> mono at ``rate``.

    Channels are averaged first (so a mono signal copied to both channels of
    a stereo device keeps its level), then FFmpeg's resampler converts rates.
    """

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)

    def push(self, block: np.ndarray, rate: int) -> np.ndarray:
        """Resample one ``(frames, channels)`` or ``(frames,)`` float32 block."""
        mono = block.mean(axis=1) if block.ndim == 2 else block
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(mono, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = rate
        return _join(self._resampler.resample(frame))


def _join(frames: list[av.AudioFrame]) -> np.ndarray:
    if not frames:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([frame.to_ndarray().reshape(-1) for frame in frames])


def _is_video(container: av.container.InputContainer) -> bool:
    """A moving picture: FFmpeg also opens text (as ANSI art) and still images as video."""
    name = container.format.name
    stills = name in ("tty", "image2") or name.endswith("_pipe")
    return bool(container.streams.video) and not stills


class DecodedAudio:
    """An opened FFmpeg source: what it holds, and its audio as mono blocks.

    Opening is what fails for a missing file, a non-audio file or an unknown
    input format, so callers can check a source before doing slow work.
    """

    def __init__(
        self,
        source: str,
        input_format: str | None = None,
        options: dict[str, str] | None = None,
        video: bool = False,
    ) -> None:
        self._source = source
        self._container = _open(source, input_format, options or {})
        if not self._container.streams.audio:
            what = "a video without sound" if _is_video(self._container) else "not an audio file"
            self._container.close()
            raise AudioSourceError(
                f"{source}: {what} (FFmpeg finds no audio stream); captions need speech"
            )
        self._stream = self._container.streams.audio[0]
        self._video: av.VideoStream | None = None
        self.on_frame: Callable[[np.ndarray, float], None] | None = None
        """With ``video``: called with each frame (RGB, 600 wide) and its time in seconds."""
        self.audio_start: float | None = None  # the time of the first sample, in seconds
        if video:
            if not self._container.streams.video:
                self._container.close()
                raise AudioSourceError(
                    f"{source}: has no video; an audio-visual model reads the speaker's face: "
                    "give a video of them, or a --camera beside the microphone"
                )
            self._video = self._container.streams.video[0]
            self.video_description = (
                f"{self._video.codec_context.name}, {self._video.codec_context.width}x"
                f"{self._video.codec_context.height}"
            )
        context = self._stream.codec_context
        self.source_rate = float(context.sample_rate or 0)
        self.channels = int(context.channels or 0)
        self.description = (
            f"{self._container.format.name}, {context.name}, "
            f"{self.source_rate:g} Hz, {self.channels} ch"
        )
        """What it natively is (the source itself is named by whoever shows this)."""

    def blocks(self, rate: int) -> Iterator[np.ndarray]:
        """Yield float32 mono blocks at ``rate`` until the source ends, then close it.

        A damaged packet is skipped, as FFmpeg's own tools do, and decoding goes on;
        a source that yields no audio at all is an error.
        """
        damaged = 0
        samples = 0
        try:
            for block in self._mono(rate):
                if block is None:
                    damaged += 1
                elif block.size:
                    samples += block.size
                    yield block
        except av.error.FFmpegError as exc:
            raise AudioSourceError(f"{self._source}: decoding failed ({_reason(exc)})") from None
        finally:
            self._container.close()
        if not samples:
            why = f"all {damaged} of its packets are damaged" if damaged else "it is empty"
            raise AudioSourceError(
                f"{self._source}: no audio could be decoded ({why}); check that it plays "
                "in a media player"
            )

    def _mono(self, rate: int) -> Iterator[np.ndarray | None]:
        """Mono blocks packet by packet; None for a packet that could not be decoded.
        Video frames (when asked for) go to :attr:`on_frame` as they are decoded."""
        mixer: _MonoMixer | None = None
        streams = [self._stream] if self._video is None else [self._stream, self._video]
        for packet in self._container.demux(*streams):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                if packet.stream is self._stream:
                    yield None
                continue
            if packet.stream is not self._stream:
                self._frames(frames)
                continue
            for frame in frames:
                if not isinstance(frame, av.AudioFrame):
                    continue
                if self.audio_start is None:
                    self.audio_start = float(frame.time or 0.0)
                if mixer is None or not mixer.takes(frame):
                    if mixer is not None:  # the stream changed layout, format or rate
                        yield from mixer.flush()
                    mixer = _MonoMixer(frame, rate, self._source)
                yield from mixer.push(frame)
        if mixer is not None:
            yield from mixer.flush()

    def _frames(self, frames: list[Any]) -> None:
        for frame in frames:
            if self.on_frame is None or not isinstance(frame, av.VideoFrame):
                continue
            if frame.time is not None:
                height = max(2, round(FRAME_WIDTH * frame.height / frame.width / 2) * 2)
                picture = frame.reformat(width=FRAME_WIDTH, height=height, format="rgb24")
                self.on_frame(picture.to_ndarray(), float(frame.time))

    def close(self) -> None:
        self._container.close()


class _MonoMixer:
    """Frames of one layout, format and rate -> mono float32 blocks at ``rate``.

    FFmpeg's resampler converts the rate and the sample format to packed
    float, keeping every channel; the mono mix is then the plain mean of the
    channels. Packed on purpose: PyAV's planar frames with 8 or more channels
    report a plane too many, and reading them faults (issue 22).
    """

    def __init__(self, first: av.AudioFrame, rate: int, source: str) -> None:
        self.channels = first.layout.nb_channels
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise AudioSourceError(
                f"{source}: audio with {self.channels} channels cannot be captioned "
                f"(FFmpeg's resampler takes 1 to {MAX_CHANNELS}); mix it down first, "
                "e.g. `ffmpeg -i IN -ac 1 OUT.wav`"
            )
        self._key = _frame_key(first)
        self._resampler = av.AudioResampler(format="flt", layout=first.layout, rate=rate)

    def takes(self, frame: av.AudioFrame) -> bool:
        return _frame_key(frame) == self._key

    def push(self, frame: av.AudioFrame) -> Iterator[np.ndarray]:
        yield from self._means(self._resampler.resample(frame))

    def flush(self) -> Iterator[np.ndarray]:
        yield from self._means(self._resampler.resample(None))

    def _means(self, frames: list[av.AudioFrame]) -> Iterator[np.ndarray]:
        for frame in frames:
            packed = frame.to_ndarray().reshape(-1, self.channels)
            yield packed.mean(axis=1, dtype=np.float32)


def _frame_key(frame: av.AudioFrame) -> tuple[str, int, str, int]:
    return (frame.layout.name, frame.layout.nb_channels, frame.format.name, frame.sample_rate)


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
    yield from DecodedAudio(source, input_format, options).blocks(sample_rate)


def fixed_chunks(blocks: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Regroup blocks into chunks of exactly ``size`` samples; the last is zero-padded."""
    regroup = Regrouper(size)
    for block in blocks:
        yield from regroup.push(block)
    tail = regroup.flush()
    if tail is not None:
        yield tail
