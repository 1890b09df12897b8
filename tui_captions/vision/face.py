"""The face crop the audio-visual model reads: found, aligned and cut as seed 001 means it.

Seed 001 (torchaudio's device AV-ASR tutorial) finds the face, maps it onto a
reference face box in a 224x224 frame with a partial affine transform
(rotation, uniform scale, translation), cuts 128x128 pixels around the
mapped box, and shrinks them to 96x96, then 44x44 grayscale. Its detector
(mediapipe) gives a box as corner and size, ``[[x, y], [w, h]]``, which the
seed's code takes as two corners: the transform then turns the crop by about
-100 degrees, scales it 2.5 times and misses the face. Here the box is
always two corners. OpenCV's bundled frontal-face cascade finds the face, on
a smaller copy of the frame (a full 600x340 frame costs ~10 ms, 32 of them a
window). Numpy and OpenCV only: this runs in the capture worker, where
torch never is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tui_captions.errors import UserError

# The reference face box (x1, y1, x2, y2) in the 224x224 frame the model was trained on.
REFERENCE = np.array([[51.64568, 0.70204943], [171.95107, 159.59505]], dtype=np.float32)
ALIGNED = 224  # the aligned frame
CUT = 128  # pixels cut around the face in it
RESIZED = 96  # then shrunk to this
CROP = 44  # and to the model's input, grayscale
DETECT_WIDTH = 200  # the face is looked for in a copy this wide (17 ms; 320: 47 ms)


@dataclass(frozen=True)
class Box:
    """A face's box by its two corners, in the frame's pixels."""

    x1: float
    y1: float
    x2: float
    y2: float

    def corners(self) -> np.ndarray:
        return np.array([[self.x1, self.y1], [self.x2, self.y2]], dtype=np.float32)


class FaceFinder:
    """OpenCV's frontal-face Haar cascade (ships with opencv-python-headless 4.x)."""

    def __init__(self) -> None:
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise UserError(
                f"OpenCV's face detector is missing ({path}); reinstall "
                "opencv-python-headless 4.x (5.x ships no cascades)"
            )

    def find(self, frame: np.ndarray) -> Box | None:
        """The largest face in an RGB frame ``(H, W, 3)``, or None."""
        height, width = frame.shape[:2]
        scale = min(1.0, DETECT_WIDTH / width)
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        faces = self._cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(16, 16)
        )
        if len(faces) == 0:
            return None
        x, y, w, h = max(faces, key=lambda f: int(f[2]) * int(f[3]))
        return Box(x / scale, y / scale, (x + w) / scale, (y + h) / scale)


def alignment(corners: np.ndarray) -> np.ndarray:
    """The partial affine ``(2, 3)`` that maps the box's corners onto the reference box."""
    transform, _ = cv2.estimateAffinePartial2D(corners, REFERENCE, method=cv2.LMEDS)
    if transform is None:
        raise ValueError("no transform maps this box onto the reference")
    return np.asarray(transform, dtype=np.float32)


def crop(frame: np.ndarray, box: Box) -> np.ndarray:
    """The model's view of the face: ``(44, 44)`` uint8 grayscale, from an RGB frame."""
    corners = box.corners()
    transform = alignment(corners)
    aligned = cv2.warpAffine(frame, transform, (ALIGNED, ALIGNED))
    mapped = corners @ transform[:, :2].T + transform[:, 2]
    centre_x, centre_y = mapped.mean(axis=0)
    half = CUT // 2
    left = int(np.clip(round(centre_x) - half, 0, ALIGNED - CUT))
    top = int(np.clip(round(centre_y) - half, 0, ALIGNED - CUT))
    patch = aligned[top : top + CUT, left : left + CUT]
    patch = cv2.resize(patch, (RESIZED, RESIZED), interpolation=cv2.INTER_LINEAR)
    small = cv2.resize(patch, (CROP, CROP), interpolation=cv2.INTER_AREA)  # antialiased
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)


def rotation_and_scale(transform: np.ndarray) -> tuple[float, float]:
    """A partial affine's rotation (degrees) and scale: how far it turns and grows a face."""
    a, b = float(transform[0, 0]), float(transform[1, 0])
    return float(np.degrees(np.arctan2(b, a))), float(np.hypot(a, b))
