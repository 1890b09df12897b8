"""The bundled demo clip's text is the committed script (``python -m tools.tiny_model.demo_clip``
writes both), made only of words the tiny model was taught."""

from __future__ import annotations

from tools.tiny_model.data import DEMO_TEXT, demo_utterances
from tools.tiny_model.demo_clip import DEMO_DIR


def test_the_bundled_text_is_the_script_spoken() -> None:
    spoken = [utterance.text for utterance in demo_utterances()]  # raises on an unknown word
    assert (DEMO_DIR / DEMO_TEXT).read_text(encoding="utf-8").splitlines() == spoken
