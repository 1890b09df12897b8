"""How a model writes (its case, punctuation, language) and the text step chosen for it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_captions.asr.engine import check_language, matching_language
from tui_captions.asr.tokens import writing_of
from tui_captions.core.writing import Writing
from tui_captions.errors import ModelError
from tui_captions.text.catalog import open_post_processor
from tui_captions.text.names import PUBLISHED
from tui_captions.text.postprocess import (
    AsWritten,
    Lowered,
    RuleCaser,
    SentenceCaser,
    TextContext,
    TextPostProcessor,
    for_writing,
)

CONTROL = ["<blk>", "<sos/eos>", "<unk>"]


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        # LibriSpeech's zipformers: word pieces in capitals
        ([*CONTROL, "\u2581THE", "S", "'", "\u2581A"], Writing("en", upper_case=True)),
        # Nemotron: capitals, small letters and punctuation
        ([*CONTROL, "\u2581The", "s", ".", ",", "?"], Writing("en", punctuated=True)),
        # the Emformer's lower-case pieces
        (["<unk>", "\u2581the", "s"], Writing("en")),
        # a French zipformer: letters beyond ASCII
        ([*CONTROL, "\u2581\u00c9T\u00c9", "\u2581LE"], Writing("", upper_case=True)),
        # Chinese characters have no case
        ([*CONTROL, "\u4f60", "\u597d"], Writing("")),
    ],
)
def test_a_vocabulary_says_how_its_model_writes(pieces: list[str], expected: Writing) -> None:
    assert writing_of(pieces) == expected


def test_a_declared_language_wins_over_the_letters() -> None:
    assert writing_of(["\u2581bonjour"], "fr").language == "fr"
    assert not writing_of(["\u2581bonjour"], "fr").english


def refusing_english() -> TextPostProcessor:
    raise AssertionError("no English post-processor may be made for this model")


def test_a_model_that_punctuates_is_shown_as_written() -> None:
    post = for_writing(Writing(punctuated=True), refusing_english)
    assert isinstance(post, AsWritten)
    assert post.final("Hello, i said. ok", TextContext()) == "Hello, i said. ok"
    assert post.partial("well i") == "well i"


def test_another_language_gets_sentence_case_and_no_english_rule() -> None:
    post = for_writing(Writing("it"), refusing_english)
    assert isinstance(post, SentenceCaser)
    # Italian's article "i" is no pronoun
    assert post.final("i ragazzi. sono qui", TextContext()) == "I ragazzi. Sono qui"
    assert post.partial("vedo i ragazzi") == "Vedo i ragazzi"


def test_capitals_only_are_lowered_before_the_english_step() -> None:
    post = for_writing(Writing(upper_case=True), RuleCaser)
    assert isinstance(post, Lowered)
    assert post.final("SO I SAID NO", TextContext()) == "So I said no"
    assert post.partial("WELL I") == "Well I"
    assert post.name == RuleCaser.name


def test_a_punctuating_model_downloads_no_punctuation_model(tmp_path: Path) -> None:
    """The published punctuation model is not fetched (the URL cannot be reached here)."""
    notices: list[str] = []
    post = open_post_processor(
        PUBLISHED,
        notices.append,
        models_root=tmp_path,
        url="http://127.0.0.1:9/none.tar.bz2",
        writing=Writing(punctuated=True),
    )
    assert isinstance(post, AsWritten)
    assert notices == []
    assert list(tmp_path.iterdir()) == []


NEMOTRON_35 = ("auto", "en-US", "fr-FR", "de-DE")


@pytest.mark.parametrize(
    ("asked", "found"),
    [("fr-FR", "fr-FR"), ("fr", "fr-FR"), ("FR_fr", "fr-FR"), ("<de-DE>", "de-DE"), ("ja", None)],
)
def test_a_language_is_matched_as_sherpa_onnx_matches_it(asked: str, found: str | None) -> None:
    assert matching_language(asked, NEMOTRON_35) == found


def test_a_language_the_model_lacks_is_one_line_listing_its_own() -> None:
    with pytest.raises(ModelError) as raised:
        check_language("ja-JP", NEMOTRON_35, "nemotron-3.5")
    assert str(raised.value) == (
        "--language ja-JP: nemotron-3.5 writes auto, en-US, fr-FR, de-DE; choose one of them"
    )


def test_any_language_for_a_model_of_one_is_refused() -> None:
    check_language(None, (), "emformer-librispeech")
    with pytest.raises(ModelError, match="writes one language only; leave out --language"):
        check_language("en", (), "emformer-librispeech")
