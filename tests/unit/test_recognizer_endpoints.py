"""Endpointing logic of the recognizer, with the beam search replaced by a script."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch

from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.engine import DecodeOptions, StepResult
from tui_captions.asr.tokens import Detokenizer
from tui_captions.asr.transducer_search import Hypothesis


class ScriptedSearch:
    """Stands in for the transducer step: chunk n's best hypothesis is script[n] (after the
    blank)."""

    def __init__(self, script: Sequence[Sequence[int]], blank: int) -> None:
        self.script = list(script)
        self.blank = blank
        self.seeded_with: list[object] = []

    def encode(self, features: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        return features, "state"

    def search(
        self, encoded: torch.Tensor, hypotheses: object, beam: int, context: object = None
    ) -> list[Hypothesis]:
        self.seeded_with.append(hypotheses)
        tokens = [self.blank, *self.script.pop(0)]
        return [Hypothesis(tokens, torch.empty(0), [], 0.0, 0, 0.0, 0.0)]


@pytest.fixture(scope="module")
def files(micro_model_dir: Path) -> ModelFiles:
    return load_model_dir(micro_model_dir)


def run(
    files: ModelFiles,
    script: Sequence[Sequence[int]],
    options: DecodeOptions,
    indices: Sequence[int] | None = None,
) -> tuple[Recognizer, ScriptedSearch, list[StepResult]]:
    recognizer = Recognizer(files, options)
    search = ScriptedSearch(script, files.config.blank)
    recognizer._transducer = search  # type: ignore[assignment]  # a stand-in, by duck typing
    silence = np.zeros(files.config.chunk_samples, dtype=np.float32)
    steps = [
        recognizer.accept(silence, None if indices is None else indices[n])
        for n in range(len(script))
    ]
    return recognizer, search, steps


# Token ids 20.. are ordinary pieces of the micro model's tokenizer.
A, B, C = 20, 21, 22


def test_trailing_silence_finalizes_and_restarts_the_search(files: ModelFiles) -> None:
    chunk = files.config.chunk_seconds
    script = [[], [A], [A, B], [A, B], [A, B], [A, B], [A, B], [A, B], [C]]
    recognizer, search, steps = run(files, script, DecodeOptions(endpoint_silence_s=5 * chunk))
    finals = [s for step in steps for s in step.finals]
    assert len(finals) == 1
    segment = finals[0]
    assert segment.start == pytest.approx(1 * chunk)
    assert segment.end == pytest.approx(3 * chunk)
    assert segment.text == text_of(files, [A, B])
    assert steps[7].finals == (segment,) and steps[7].partial == ""
    assert steps[2].partial == segment.text
    assert search.seeded_with[8] is None  # fresh hypothesis after the endpoint
    assert search.seeded_with[7] is not None
    assert steps[8].partial == text_of(files, [C])
    (last,) = recognizer.finish(flush=False)
    assert last.id == segment.id + 1 and last.start == pytest.approx(8 * chunk)


def test_long_speech_is_cut_at_the_maximum_segment_length(files: ModelFiles) -> None:
    chunk = files.config.chunk_seconds
    script = [[A] * (n + 1) for n in range(10)]
    _, search, steps = run(files, script, DecodeOptions(max_segment_s=4 * chunk))
    cut = [n for n, step in enumerate(steps) if step.finals]
    assert cut == [3, 7]
    assert all(s.end - s.start == pytest.approx(4 * chunk) for n in cut for s in steps[n].finals)
    assert search.seeded_with[4] is None


def test_silence_alone_gives_no_segment(files: ModelFiles) -> None:
    recognizer, _, steps = run(files, [[]] * 12, DecodeOptions(endpoint_silence_s=0.3))
    assert all(step.finals == () and step.partial == "" for step in steps)
    assert recognizer.finish(flush=False) == ()


def test_dropped_chunks_leave_gaps_in_the_time_line(files: ModelFiles) -> None:
    chunk = files.config.chunk_seconds
    recognizer, _, _ = run(files, [[A], [A, B]], DecodeOptions(), indices=[10, 25])
    (segment,) = recognizer.finish(flush=False)
    assert segment.start == pytest.approx(10 * chunk)
    assert segment.end == pytest.approx(26 * chunk)


def text_of(files: ModelFiles, tokens: list[int]) -> str:
    return Detokenizer(files.tokenizer)(tokens)


def test_finish_decodes_a_little_silence_so_the_last_word_comes_out(files: ModelFiles) -> None:
    recognizer, search, _ = run(files, [[A]], DecodeOptions())
    search.script += [[A, B], [A, B]]  # the search emits B only once it sees past it
    (segment,) = recognizer.finish()
    assert segment.text == text_of(files, [A, B])
    assert search.script == []
