"""Write real audio files (any codec, rate, channel count) with PyAV for tests."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

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
