"""The face crop on a real photo (scikit-image's astronaut): found, aligned upright, cut as the
seed means it; and the seed's own bug, its detector's corner-and-size box read as two corners."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from tui_captions.audio.video import FaceCrops
from tui_captions.vision.face import (
    CROP,
    REFERENCE,
    Box,
    FaceFinder,
    alignment,
    crop,
    rotation_and_scale,
)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def face(photo: np.ndarray) -> Box:
    box = FaceFinder().find(photo)
    assert box is not None, "OpenCV's cascade finds the astronaut's face"
    return box


def test_the_face_is_found_where_it_is(face: Box) -> None:
    # The astronaut's face (checked by eye): about x 180-270, y 60-160 of 512x512.
    assert 150 < face.x1 < 210 and 240 < face.x2 < 300
    assert 30 < face.y1 < 90 and 130 < face.y2 < 190


def test_the_crop_is_the_face_upright(photo: np.ndarray, face: Box) -> None:
    angle, scale = rotation_and_scale(alignment(face.corners()))
    assert abs(angle) < 15 and 0.8 < scale < 2.0  # turned a little onto the reference box
    view = crop(photo, face)
    assert view.shape == (CROP, CROP) and view.dtype == np.uint8
    # Upscaled, the model's view is a face again, filling it: the cascade finds it there.
    big = cv2.resize(view, (176, 176), interpolation=cv2.INTER_CUBIC)
    found = FaceFinder().find(cv2.cvtColor(big, cv2.COLOR_GRAY2RGB))
    assert found is not None and (found.x2 - found.x1) > 0.4 * 176


def test_the_seeds_box_as_two_corners_turns_and_scales_the_crop_off_the_face(
    photo: np.ndarray, face: Box
) -> None:
    """Seed 001 passes mediapipe's ``[[x, y], [w, h]]`` where two corners belong: the
    transform turns the face by about -100 degrees, scales it 2.3 times, and the crop
    shows no face."""
    as_seed = np.array(
        [[face.x1, face.y1], [face.x2 - face.x1, face.y2 - face.y1]], dtype=np.float32
    )
    angle, scale = rotation_and_scale(alignment(as_seed))
    assert -130 < angle < -80 and scale > 2.0
    seed_view = crop(photo, Box(*as_seed.reshape(-1)))
    big = cv2.resize(seed_view, (176, 176), interpolation=cv2.INTER_CUBIC)
    assert FaceFinder().find(cv2.cvtColor(big, cv2.COLOR_GRAY2RGB)) is None
    # Ours maps the box's corners onto the reference box's.
    transform = alignment(face.corners())
    mapped = face.corners() @ transform[:, :2].T + transform[:, 2]
    assert np.abs(mapped - REFERENCE).max() < 25


def test_frames_keep_the_last_face_and_have_none_before_the_first(photo: np.ndarray) -> None:
    blank = np.zeros_like(photo)
    crops = FaceCrops(every=2)
    assert crops.push(blank) is None  # no face yet: no crop (the model gets a black one)
    assert crops.push(photo) is None  # looked for on frames 0, 2, 4...
    assert crops.push(photo) is not None
    assert crops.push(blank) is not None  # lost: the last box is kept
    assert crops.found == 1
