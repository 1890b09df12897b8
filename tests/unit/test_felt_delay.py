"""The felt delay's logic: when each word was first shown and when its line came (WordClock),
the live figures LiveStats makes of it, and the benchmark's clock and word matching."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from bench.latency import Delays, Felt, TimedSpeech, felt_delays, felt_row
from tui_captions.asr.engine import DecodeOptions, RunOptions, StepResult, StreamFormat
from tui_captions.core.events import RecognizerUpdate, SourceQuiet
from tui_captions.core.felt import ShownWord, WordClock
from tui_captions.core.segments import Segment
from tui_captions.core.stats import LiveStats
from tui_captions.core.writing import Writing
from tui_captions.pipeline.session import CaptionSession


def line(text: str, ends: tuple[float, ...] = ()) -> Segment:
    """A final segment; ``ends``: its words' ends (each word starts 0.1 s before)."""
    return Segment(0, 0.0, 1.0, text, word_times=tuple((end - 0.1, end) for end in ends))


def test_a_word_is_timed_from_the_first_partial_that_showed_it_as_its_line_spells_it() -> None:
    clock = WordClock()
    assert clock.update(1.0, "the cat") == []
    assert clock.update(1.2, "the cap sat") == []  # "cap" first shown here
    assert clock.update(1.4, "the cat") == []  # and "cat" again: its first time counts
    shown = clock.update(2.0, "", (line("the cap sat on", (0.5, 0.9, 1.3, 1.7)),))
    assert shown == [
        ShownWord("the", 1.0, 2.0, 0.5),
        ShownWord("cap", 1.2, 2.0, 0.9),
        ShownWord("sat", 1.2, 2.0, 1.3),
        ShownWord("on", 2.0, 2.0, 1.7),  # never in a partial: shown with its line
    ]


def test_lines_ended_in_one_step_share_the_open_line_and_the_next_line_starts_afresh() -> None:
    clock = WordClock()
    clock.update(1.0, "good morning all")
    shown = clock.update(2.0, "so", (line("good morning"), line("all")))
    assert [(w.text, w.partial_at, w.end) for w in shown] == [
        ("good", 1.0, None),
        ("morning", 1.0, None),
        ("all", 1.0, None),
    ]
    # "so" was shown at 2.0 in the new line, not at the old line's place 0.
    assert clock.update(3.0, "", (line("so"),)) == [ShownWord("so", 2.0, 3.0, None)]


def test_a_line_that_ends_untimed_is_forgotten() -> None:
    clock = WordClock()
    clock.update(1.0, "hello")
    clock.forget()
    assert clock.update(5.0, "", (line("hello"),)) == [ShownWord("hello", 5.0, 5.0, None)]


def update(partial: str, finals: tuple[Segment, ...], end_s: float | None) -> RecognizerUpdate:
    """A chunk ending at ``end_s`` on the time line, its update 100 ms after its capture."""
    return RecognizerUpdate(
        0, partial, finals, 9.0, 100.0, 0, 0, -20.0, -10.0, False, audio_end_s=end_s
    )


def test_live_figures_run_from_the_engines_word_end_to_the_update_that_showed_it() -> None:
    stats = LiveStats(0.16)
    assert stats.summary()["felt_final_ms_p50"] is None
    stats.add(update("hello", (), 0.64))  # shown at 0.74
    stats.add(update("hello there", (), 0.96))  # "there" at 1.06
    stats.add(update("", (line("hello there", (0.64, 0.96)),), 1.92))  # the line at 2.02
    figures = stats.summary()
    assert figures["felt_partial_ms_p50"] == 100.0 == figures["felt_partial_ms_p95"]
    assert figures["felt_final_ms_p50"] == 1060.0  # nearest rank: the lower of two
    assert figures["felt_final_ms_p95"] == 1380.0


def test_live_figures_need_the_chunks_place_and_the_words_times() -> None:
    stats = LiveStats(0.16)
    stats.add(update("", (line("hello", (0.5,)),), None))  # no place on the time line
    stats.add(update("", (line("hello"),), 1.0))  # no word times
    assert stats.summary()["felt_final_ms_p50"] is None


def test_a_quiet_source_ends_its_line_untimed(tmp_path: Path) -> None:
    """After SourceQuiet, a new line's first word is timed from when it was shown, not
    from the quiet line's word at the same place."""

    class Engine:
        position = 0

        def start(self, source: object, at: int, origin: float | None = None) -> None: ...

        def stop(self) -> None: ...

    session = CaptionSession("demo-tiny", directory=tmp_path)
    channel = session.add_channel("", "-", Engine(), 0.16)
    session.accept("", update("hello", (), 0.32))
    session.accept("", SourceQuiet(()))
    session.accept("", update("hello", (), 8.0))
    session.accept("", update("", (line("hello", (7.9,)),), 9.0))
    assert channel.stats.summary()["felt_partial_ms_p50"] == 200.0  # 8.1 - 7.9, not negative


@dataclass
class ScriptedStream:
    """Replays steps, one a chunk (the benchmark's clock and matching are the subject)."""

    steps: list[StepResult]
    last: tuple[Segment, ...] = ()
    seen: list[int] = field(default_factory=list)

    @property
    def format(self) -> StreamFormat:
        return StreamFormat(16000, 1600)

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        self.seen.append(len(self.seen) if chunk_index is None else chunk_index)
        return self.steps[len(self.seen) - 1]

    def finish(self) -> tuple[Segment, ...]:
        return self.last

    def reset(self) -> None: ...


class ScriptedModel:
    """A model whose one stream is ``stream``."""

    format = StreamFormat(16000, 1600)
    run = RunOptions(1, "none", "cpu")
    engine = "fake"
    languages = ()
    writing = Writing()

    def __init__(self, stream: ScriptedStream) -> None:
        self.stream = stream

    def create_stream(self, options: DecodeOptions) -> ScriptedStream:
        return self.stream


def test_the_bench_queues_chunks_behind_slow_compute_and_matches_words_in_order() -> None:
    # Four chunks of 0.1 s, each taking 0.15 s: the decoder falls behind by 0.05 s a chunk.
    steps = [
        StepResult("hello", (), 150.0),
        StepResult("hello word", (), 150.0),
        StepResult("", (line("hello word"),), 150.0),
        StepResult("again", (), 150.0),
    ]
    stream = ScriptedStream(steps, last=(line("again"),))
    speech = TimedSpeech(
        ["hello", "world", "again"],
        np.zeros(6000, dtype=np.float32),  # padded to four chunks
        [(0.0, 0.08), (0.1, 0.18), (0.2, 0.3)],
    )
    felt = felt_delays(ScriptedModel(stream), speech)
    assert stream.seen == [0, 1, 2, 3]
    # Done at 0.25, 0.40, 0.55, 0.70; finish() at once after.
    assert felt.felt.to_partial == pytest.approx([0.25 - 0.08, 0.70 - 0.3], abs=1e-3)
    assert felt.felt.to_final == pytest.approx([0.55 - 0.08, 0.70 - 0.3], abs=1e-3)
    # Without compute each step is shown at its chunk's end.
    assert felt.model.to_partial == pytest.approx([0.1 - 0.08, 0.4 - 0.3], abs=1e-3)
    assert felt.model.to_final == pytest.approx([0.3 - 0.08, 0.4 - 0.3], abs=1e-3)
    assert [word.text for word, _ in felt.shown] == ["hello", "again"]  # "word" is not "world"
    assert felt.words == 3 and felt.word_time_lag == []


def test_a_model_that_matches_few_words_has_no_felt_delay() -> None:
    """A random model's pieces may spell a word now and then: chance, not recognition."""

    def felt(matched: int) -> Felt:
        delays = Delays([0.1] * matched, [1.0] * matched)
        return Felt(0.16, [10.0], 4, delays, delays, [], [])

    assert felt_row("random", "rnnt", felt(1))["to_final_s"] == {"p50": None, "p95": None}
    assert felt_row("tiny", "rnnt", felt(2))["to_final_s"] == {"p50": 1.0, "p95": 1.0}
