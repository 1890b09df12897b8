"""The catalog's cards: declared once, read without torch, said to the user as they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui_captions.asr.cards import LANGUAGE_NAMES, MODEL_CARDS, MODEL_NAMES, model_summary
from tui_captions.asr.defaults import DEFAULT_MODEL


def test_every_card_is_declared_once_with_its_figures_labelled() -> None:
    assert len(set(MODEL_NAMES)) == len(MODEL_CARDS) and MODEL_NAMES[0] == DEFAULT_MODEL
    assets = [card.archive.asset for card in MODEL_CARDS if card.archive is not None]
    assert len(set(assets)) == len(assets)
    for card in MODEL_CARDS:
        assert card.languages and set(card.languages) <= set(LANGUAGE_NAMES), card.name
        if card.wer is not None:  # a figure always says what it was measured on
            assert card.wer.wer and card.wer.measured_on, card.name


@pytest.mark.parametrize(
    ("spec", "language", "said"),
    [
        ("zipformer-en-70m", None, "Model zipformer-en-70m · English"),
        ("zipformer-zh-en", None, "Model zipformer-zh-en · Chinese, English"),
        (
            "nemotron-3.5-560ms",
            None,
            "Model nemotron-3.5-560ms · 15 languages (detected; --language picks one)",
        ),
        ("nemotron-3.5-560ms", "fr-FR", "Model nemotron-3.5-560ms · French (fr-FR)"),
        ("nemotron-3.5-560ms", "ja", "Model nemotron-3.5-560ms · Japanese (ja)"),
        ("/models/my-zipformer", None, "Model /models/my-zipformer"),
    ],
)
def test_the_picker_names_the_model_and_its_language(
    spec: str, language: str | None, said: str
) -> None:
    assert model_summary(spec, language) == said


def test_the_cards_and_the_models_command_load_without_torch() -> None:
    """``captions-tui models`` and the picker's line must not wait for torch."""
    code = (
        "import sys, tui_captions.commands.models, tui_captions.asr.cards\n"
        "print(sorted(m for m in ('torch', 'onnxruntime', 'sherpa_onnx') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_models_doc_compares_every_model_of_the_catalog() -> None:
    """docs/models.md's table is written by hand: a name added to the catalog goes there too."""
    doc = (Path(__file__).parents[2] / "docs" / "models.md").read_text()
    section = doc.split("## Choosing a model and a language", 1)[1].split("\n## ", 1)[0]
    assert [name for name in MODEL_NAMES if f"`{name}`" not in section] == []
