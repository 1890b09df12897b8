"""Video for the audio-visual model: face crops on the audio's clock, a chunk's worth at a time.

Audio is the master clock: each 1/30 s of a chunk's audio takes the video frame
nearest to it in time (frames and samples carry times on one clock: the
media's own for a file, ``time.monotonic()`` for a camera beside a
microphone). A frame is cropped to the face as the model wants it
(:mod:`tui_captions.vision.face`) where it is read, so only 44x44 crops cross
to the recognizer; the face is looked for every few frames, the last box kept
in between (a face moves little in 0.2 s) and after it is lost. Before any
face the crops are black, as no video at all.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterator

import numpy as np

from tui_captions.audio.chunking import Chunker
from tui_captions.audio.decode import DecodedAudio
from tui_captions.audio.protocol import AudioChunk
from tui_captions.vision.face import CROP, Box, FaceFinder, crop

DETECT_EVERY = 10  # frames: three looks a second at 30 fps
_KEEP_S = 2.0  # frames kept for slots not yet taken
CAMERA_WAIT_S = 0.5  # a chunk waits no longer for a camera's frames


class FaceCrops:
    """Frames -> crops: the face looked for every :data:`DETECT_EVERY` frames."""

    def __init__(self, every: int = DETECT_EVERY) -> None:
        self._finder = FaceFinder()
        self._every = every
        self._count = 0
        self.box: Box | None = None
        self.found = 0  # frames whose face was found (not kept from before)

    def push(self, frame: np.ndarray) -> np.ndarray | None:
        """The crop of an RGB frame, or None while no face has been seen."""
        if self._count % self._every == 0:
            found = self._finder.find(frame)
            if found is not None:
                self.box = found
                self.found += 1
        self._count += 1
        return None if self.box is None else crop(frame, self.box)


class FrameSlots:
    """Cropped frames by time; a chunk takes one per video frame period, the nearest."""

    def __init__(self, fps: int) -> None:
        self._period = 1.0 / fps
        self._frames: deque[tuple[float, np.ndarray | None]] = deque()
        self.latest = -float("inf")  # time of the newest frame
        self.ended = False  # no more frames will come

    def add(self, time: float, face: np.ndarray | None) -> None:
        self._frames.append((time, face))
        self.latest = max(self.latest, time)

    def ready(self, chunk: AudioChunk, now: float | None = None) -> bool:
        """Whether frames up to the chunk's last slot have come (or never will, or, on a
        live clock ``now``, a camera has kept it waiting too long)."""
        late = now is not None and now - chunk.t_last > CAMERA_WAIT_S
        return self.ended or late or self.latest >= chunk.t_last

    def take(self, chunk: AudioChunk, count: int) -> AudioChunk:
        """``chunk`` with its ``count`` crops (black where no face or no frame) and how many
        of them show a face."""
        crops = np.zeros((count, CROP, CROP), dtype=np.uint8)
        faces = 0
        times = [t for t, _ in self._frames]
        for slot in range(count):
            at = chunk.t_first + (slot + 0.5) * self._period
            if not times:
                break
            nearest = min(range(len(times)), key=lambda i: abs(times[i] - at))
            if abs(times[nearest] - at) <= 2 * self._period:
                face = self._frames[nearest][1]
                if face is not None:
                    crops[slot] = face
                    faces += 1
        while self._frames and self._frames[0][0] < chunk.t_last - _KEEP_S:
            self._frames.popleft()
        return dataclasses.replace(chunk, crops=crops, faces=faces)


class WithVideo:
    """Audio chunks held until their frames have come, then given their crops."""

    def __init__(self, fps: int, frames_per_chunk: int) -> None:
        self.slots = FrameSlots(fps)
        self._count = frames_per_chunk
        self._waiting: deque[AudioChunk] = deque()

    def push(self, chunks: list[AudioChunk], now: float | None = None) -> list[AudioChunk]:
        """The chunks whose frames are in; ``now``: a live clock's time (see ``ready``)."""
        self._waiting.extend(chunks)
        out = []
        while self._waiting and self.slots.ready(self._waiting[0], now):
            out.append(self.slots.take(self._waiting.popleft(), self._count))
        return out

    def flush(self) -> list[AudioChunk]:
        """The end: what still waits, with what frames there are."""
        self.slots.ended = True
        return self.push([])


def chunks_with_video(
    decoded: DecodedAudio, rate: int, chunk_samples: int, fps: int, frames_per_chunk: int
) -> Iterator[AudioChunk]:
    """A file's chunks as fast as it decodes, each with the crops of its frames (the media's
    own clock: seconds from its first sample)."""
    crops = FaceCrops()
    with_video = WithVideo(fps, frames_per_chunk)
    chunker = Chunker(chunk_samples, rate)

    def timed(frame: np.ndarray, at: float) -> None:
        with_video.slots.add(at - (decoded.audio_start or 0.0), crops.push(frame))

    decoded.on_frame = timed
    released = 0
    for block in decoded.blocks(rate):
        released += block.size
        yield from with_video.push(chunker.push(block, (released - 1) / rate))
    tail = chunker.flush()
    yield from with_video.push([tail] if tail is not None else [])
    yield from with_video.flush()
