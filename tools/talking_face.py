"""A talking face we can make: espeak-ng speech, its phonemes moving the mouth of a photo.

    python -m tools.talking_face --text "..." --out clip.mp4 [--face PHOTO] [--voice V] [--rate R]

espeak-ng speaks the text and writes its phonemes (``-x``); each phoneme has a
nominal length (vowels longer than consonants), scaled to span the speech
found in the audio, and a viseme (closed, teeth, round, open, wide, mid) that
draws the mouth over the face's own, opened further where the audio is
louder. Frames are 30 a second, muxed with the speech by PyAV (H.264 and
AAC). Any frontal face photo works (the face is found as the app finds it);
the default is scikit-image's astronaut, the photo the tests use.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tui_captions.audio.decode import decode_audio
from tui_captions.vision.face import Box, FaceFinder

FPS = 30
RATE = 16_000
VOWELS = set("aAeEiIoOuUV03@")
VISEMES = {  # mouth (width, height) as parts of the face box's width
    "rest": (0.30, 0.02),
    "closed": (0.32, 0.0),
    "teeth": (0.34, 0.04),
    "round": (0.18, 0.12),
    "open": (0.32, 0.20),
    "wide": (0.40, 0.07),
    "mid": (0.30, 0.10),
}


def viseme(phoneme: str) -> str:
    core = phoneme.strip("'`,;%=:")
    if core in ("p", "b", "m"):
        return "closed"
    if core in ("f", "v"):
        return "teeth"
    if core in ("w",) or core[:1] in ("o", "O", "u", "U", "0") or core == "aU":
        return "round"
    if core[:1] in ("a", "A", "V") or core == "aI":
        return "open"
    if core[:1] in ("i", "I", "e", "E", "3") or core in ("s", "z", "S", "Z", "tS", "dZ", "j"):
        return "wide"
    return "mid"


def nominal_seconds(phoneme: str) -> float:
    core = phoneme.strip("'`,;%=")
    if core[:1] in VOWELS:
        return 0.15 if len(core.rstrip(":")) > 1 else 0.13 if core.endswith(":") else 0.10
    return 0.06


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono at RATE
    phonemes: list[str]


def speak(
    text: str, voice: str = "en-us", rate: int = 160, pitch: int = 50, sample_rate: int = RATE
) -> Speech:
    """espeak-ng's speech of ``text`` (at ``sample_rate``) and its phonemes in order."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        common = ["-v", voice, "-s", str(rate), "-p", str(pitch)]
        subprocess.run(["espeak-ng", *common, "-w", str(wav), text], check=True)
        samples = np.concatenate(list(decode_audio(str(wav), sample_rate)))
    return Speech(samples, phonemes(text, voice, rate, pitch))


def phonemes(text: str, voice: str = "en-us", rate: int = 160, pitch: int = 50) -> list[str]:
    """espeak-ng's phonemes of ``text`` in order, as ``speak`` says it (no sound made)."""
    common = ["-v", voice, "-s", str(rate), "-p", str(pitch)]
    spelled = subprocess.run(
        ["espeak-ng", *common, "-q", "-x", "--sep=_", text],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [p for word in spelled.split() for p in word.split("_") if p.strip("'`,;%=")]


def mouth_track(speech: Speech, frames: int, sample_rate: int = RATE) -> list[tuple[str, float]]:
    """Per video frame: the viseme and how open (0..1) the mouth is."""
    period = sample_rate // FPS
    loud = np.array(
        [
            float(np.sqrt(np.mean(speech.samples[i * period : (i + 1) * period] ** 2) + 1e-12))
            for i in range(frames)
        ]
    )
    voiced = np.flatnonzero(loud > 0.1 * loud.max()) if loud.max() > 0 else np.array([0])
    first, last = int(voiced[0]), int(voiced[-1]) + 1
    lengths = np.array([nominal_seconds(p) for p in speech.phonemes]) if speech.phonemes else []
    edges = np.concatenate([[0.0], np.cumsum(lengths)]) if len(lengths) else np.array([0.0, 1.0])
    edges = first + (last - first) * edges / edges[-1]
    track = []
    for index in range(frames):
        if not first <= index < last or not speech.phonemes:
            track.append(("rest", 0.0))
            continue
        which = min(
            int(np.searchsorted(edges, index + 0.5, side="right")) - 1, len(speech.phonemes) - 1
        )
        track.append(
            (viseme(speech.phonemes[which]), min(1.0, 0.4 + 0.6 * loud[index] / loud.max()))
        )
    return track


def draw_mouth(face: np.ndarray, box: Box, shape: str, openness: float) -> np.ndarray:
    """The photo with a mouth of ``shape`` drawn over its own."""
    frame = face.copy()
    width = box.x2 - box.x1
    centre = (round((box.x1 + box.x2) / 2), round(box.y1 + 0.80 * (box.y2 - box.y1)))
    mouth_w, mouth_h = VISEMES[shape]
    axes = (max(2, round(width * mouth_w / 2)), max(1, round(width * mouth_h * openness / 2)))
    lips = (150, 60, 70)
    cv2.ellipse(frame, centre, (axes[0] + 3, axes[1] + 4), 0, 0, 360, lips, -1, cv2.LINE_AA)
    if shape == "closed" or axes[1] <= 1:
        cv2.line(
            frame,
            (centre[0] - axes[0], centre[1]),
            (centre[0] + axes[0], centre[1]),
            (70, 20, 30),
            2,
        )
    else:
        cv2.ellipse(frame, centre, axes, 0, 0, 360, (25, 5, 10), -1, cv2.LINE_AA)
        if shape in ("teeth", "wide", "open"):
            top = (centre[0] - axes[0] + 2, centre[1] - axes[1])
            cv2.rectangle(
                frame, top, (centre[0] + axes[0] - 2, centre[1] - axes[1] // 2), (235, 235, 225), -1
            )
    return frame


def default_face() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def render(speech: Speech, face: np.ndarray, box: Box, sample_rate: int = RATE) -> list[np.ndarray]:
    """The frames of the talking face, 30 a second, as long as the speech."""
    frames = int(np.ceil(len(speech.samples) / (sample_rate / FPS)))
    track = mouth_track(speech, frames, sample_rate)
    return [draw_mouth(face, box, shape, opening) for shape, opening in track]


def write_clip(
    path: Path, speech: Speech, frames: list[np.ndarray], sample_rate: int = RATE
) -> Path:
    """H.264 video and AAC audio in an MP4 (or whatever the suffix names); the sound, at
    ``sample_rate``, is stored at 16 kHz (AAC has no 19.2 kHz)."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        assert isinstance(video, av.VideoStream)
        video.width, video.height, video.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        video.options = {"crf": "18", "preset": "veryfast"}
        audio = container.add_stream("aac", rate=RATE, layout="mono")
        assert isinstance(audio, av.AudioStream)
        for index, picture in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(
                picture[: video.height, : video.width], format="rgb24"
            )
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        sound = av.AudioFrame.from_ndarray(
            speech.samples.reshape(1, -1), format="flt", layout="mono"
        )
        sound.sample_rate = sample_rate
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE, frame_size=1024)
        for part in [*resampler.resample(sound), *resampler.resample(None)]:
            container.mux(audio.encode(part))
        container.mux(audio.encode(None))
    return path


def make_clip(
    path: Path, text: str, face: np.ndarray | None = None, voice: str = "en-us", rate: int = 160
) -> Path:
    photo = default_face() if face is None else face
    box = FaceFinder().find(photo)
    if box is None:
        raise SystemExit("no face found in the photo: give a frontal face photo")
    speech = speak(text, voice, rate)
    return write_clip(path, speech, render(speech, photo, box))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--face", type=Path, help="a frontal face photo (default: the astronaut)")
    parser.add_argument("--voice", default="en-us")
    parser.add_argument("--rate", type=int, default=160, help="words a minute")
    args = parser.parse_args()
    face = None
    if args.face is not None:
        face = cv2.cvtColor(cv2.imread(str(args.face)), cv2.COLOR_BGR2RGB)
    print(make_clip(args.out, args.text, face, args.voice, args.rate))


if __name__ == "__main__":
    main()
