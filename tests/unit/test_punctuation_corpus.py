"""The punctuation model's training text: which paragraphs, and which of their sentences, count."""

from __future__ import annotations

from tools.punctuation.corpus import (
    CAP,
    COMMA,
    LOWER,
    NONE,
    PERIOD,
    QUESTION,
    Document,
    labelled,
)

FAILING = 'Yes, my lord. The toll is 20 gold. Where is the ferry? Over "there", the captain said.'


def words_of(document: Document, by_sentence: bool) -> list[tuple[str, ...]]:
    return [paragraph.words for paragraph in labelled(document, by_sentence=by_sentence)]


def test_a_paragraph_with_a_number_is_dropped_whole_unless_read_by_sentence() -> None:
    document = Document("wesnoth-1.16-data", "test", (FAILING,))

    assert words_of(document, by_sentence=False) == []
    runs = labelled(document, by_sentence=True)
    # The sentence with the digits splits the paragraph into two runs; neither keeps it.
    assert [run.words for run in runs] == [
        ("yes", "my", "lord"),
        ("where", "is", "the", "ferry", "over", "there", "the", "captain", "said"),
    ]
    assert runs[0].puncts == (COMMA, NONE, PERIOD)
    assert runs[1].puncts[3] == QUESTION and runs[1].puncts[5] == COMMA


def test_short_lines_of_dialogue_count_only_by_sentence_and_one_word_never() -> None:
    document = Document("fortunes", "test", ("Slay them all!", "No!", "A heading without a mark"))

    assert words_of(document, by_sentence=False) == []
    assert words_of(document, by_sentence=True) == [("slay", "them", "all")]


def test_passing_paragraphs_are_the_same_either_way() -> None:
    text = "It is well, and the night is long. Shall we ride at dawn?"
    document = Document("crawl-common", "test", (text, "Ha."))

    whole = words_of(document, by_sentence=False)
    assert len(whole) == 1 and whole[0][:3] == ("it", "is", "well")
    assert words_of(document, by_sentence=True) == whole


def test_a_run_takes_its_capitals_from_its_marks_not_from_where_sentences_were_cut() -> None:
    # "..." after a comma is cut as a sentence end, but the comma is the mark kept:
    # the next word stays lower case, as it would inside a passing paragraph.
    text = "The fee is 5 gold. We went on to other things, ... it was fine."
    (run,) = labelled(Document("fortunes", "test", (text,)), by_sentence=True)

    assert run.words[:7] == ("we", "went", "on", "to", "other", "things", "it")
    assert run.puncts[5] == COMMA and run.cases[6] == LOWER and run.cases[0] == CAP
