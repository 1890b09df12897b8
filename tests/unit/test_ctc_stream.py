"""The wav2vec2 engine's sliding windows and CTC decoding, on a scripted acoustic model."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tests.scripted_ctc import FRAME, LABELS, scripted_engine, speak, spell
from tui_captions.asr.engine import DecodeOptions
from tui_captions.asr.wav2vec2.ctc import GreedyPath, LabelText
from tui_captions.asr.wav2vec2.engine import Wav2Vec2Stream
from tui_captions.core.segments import Segment

SILENCE = ["-"] * 60  # 1.2 s: longer than the default endpoint (0.8 s)


def run_stream(stream: Wav2Vec2Stream, samples: np.ndarray) -> tuple[list[Segment], list[str]]:
    """Chunk by chunk (the last one padded with silence), then finish."""
    hop = stream.format.chunk_samples
    samples = np.pad(samples, (0, -len(samples) % hop))
    finals: list[Segment] = []
    partials = []
    for start in range(0, len(samples), hop):
        result = stream.accept(samples[start : start + hop])
        finals += result.finals
        partials.append(result.partial)
    return finals + list(stream.finish()), partials


def offline_text(frames: list[str]) -> str:
    """Seed 003's greedy decoder over the whole signal."""
    collapsed = [f for i, f in enumerate(frames) if i == 0 or f != frames[i - 1]]
    return " ".join("".join(f for f in collapsed if f != "-").replace("|", " ").split())


def test_windows_reproduce_the_offline_decode_frame_for_frame(tmp_path: Path) -> None:
    """Random label runs (repeats across hop and margin boundaries included) and pauses:
    the stream's finals equal the offline greedy decode of the whole signal (letter for
    letter: a pause that ends a segment also parts words the offline text runs together)."""
    rng = random.Random(3)
    frames: list[str] = []
    for _ in range(12):
        frames += [rng.choice(LABELS[1:]) for _ in range(rng.randint(5, 90))]
        frames += ["-"] * rng.choice((0, 3, 20, 70))
    stream = scripted_engine(tmp_path).create_stream(DecodeOptions(max_segment_s=60.0))
    finals, _ = run_stream(stream, speak(frames))
    streamed = " ".join(s.text for s in finals)
    assert streamed.replace(" ", "") == offline_text(frames).replace(" ", "")
    assert streamed.count(" ") >= offline_text(frames).count(" ")
    assert len(finals) == frames_runs(frames, "-", 40) + 1  # one line per long pause


def frames_runs(frames: list[str], label: str, at_least: int) -> int:
    """Runs of ``label`` at least ``at_least`` long, between other labels."""
    runs, length = 0, 0
    for frame in frames:
        if frame == label:
            length += 1
        else:
            runs += length >= at_least and length < len(frames)
            length = 0
    return runs


def test_segments_end_at_pauses_with_the_times_of_their_first_and_last_letters(
    tmp_path: Path,
) -> None:
    frames = SILENCE[:10] + spell("the cat") + SILENCE + spell("sent") + SILENCE
    stream = scripted_engine(tmp_path).create_stream(DecodeOptions())
    finals, _ = run_stream(stream, speak(frames))
    assert [s.text for s in finals] == ["the cat", "sent"]
    first_letter = frames.index("t")
    last_letter = len(frames) - 1 - frames[::-1].index("t")
    assert finals[0].start == pytest.approx(first_letter * FRAME / 16000)
    assert finals[1].end == pytest.approx((last_letter + 1) * FRAME / 16000)
    assert finals[1].id == finals[0].id + 1


def test_the_margin_is_partial_text_and_becomes_final_a_hop_later(tmp_path: Path) -> None:
    """Until the window is full nothing is final; then a frame is final once it is
    ``margin`` inside a window's end, and shows as partial text before that."""
    engine = scripted_engine(tmp_path, window=0.8, hop=0.4, margin=0.2)
    stream = engine.create_stream(DecodeOptions())
    hop_frames = 20
    frames = ["-"] * 30 + spell("hot", 5, 1) + ["-"] * 100
    samples = speak(frames)
    results = [
        stream.accept(samples[i * hop_frames * FRAME : (i + 1) * hop_frames * FRAME])
        for i in range(len(frames) // hop_frames)
    ]
    assert [r.partial for r in results[:3]] == ["", "ho", "hot"]  # 30-39: the first margin
    # The last letter is frame 46; 40 quiet frames later (0.8 s) the line ends, once
    # frame 86 is out of the margin: in the window that ends at frame 100.
    assert [[s.text for s in r.finals] for r in results] == [[], [], [], [], ["hot"], [], []]


def test_dropped_chunks_end_the_open_line_and_keep_the_time_line(tmp_path: Path) -> None:
    stream = scripted_engine(tmp_path).create_stream(DecodeOptions())
    hop = stream.format.chunk_samples
    first = speak(spell("ten"))
    first = np.pad(first, (0, -len(first) % hop))
    results = [stream.accept(first[i : i + hop]) for i in range(0, len(first), hop)]
    assert not any(r.finals for r in results)
    resumed_at = 20  # chunk index: 8 s into the stream
    said = speak(spell("sat", 2, 2))
    after_gap = stream.accept(np.pad(said, (0, hop - len(said))), chunk_index=resumed_at)
    assert [s.text for s in after_gap.finals] == ["ten"]
    rest = stream.finish()
    assert [s.text for s in rest] == ["sat"]
    assert rest[0].start == pytest.approx(resumed_at * 0.4)


def test_the_beam_search_with_a_lexicon_and_2_gram_fixes_an_acoustic_confusion(
    tmp_path: Path,
) -> None:
    """The acoustics say "cot" ("a" a close second to "o"); the LM says "the cat" is
    far likelier. With the LM weighted out, the acoustics win."""
    write_lexicon_and_lm(tmp_path)
    frames = SILENCE[:5] + spell("the cot") + SILENCE
    confusion = {"o": ("a", 0.5)}
    greedy = scripted_engine(tmp_path, confusion).create_stream(DecodeOptions())
    assert [s.text for s in run_stream(greedy, speak(frames))[0]] == ["the cot"]
    beam = scripted_engine(tmp_path, confusion, decoder="beam")
    assert [s.text for s in run_stream(beam.create_stream(DecodeOptions()), speak(frames))[0]] == [
        "the cat"
    ]
    unweighted = scripted_engine(tmp_path, confusion, decoder="beam")
    config = unweighted.config
    weightless = type(unweighted)(
        tmp_path,
        type(config)(**{**config.__dict__, "beam": type(config.beam)(50, 0.0, 0.0)}),
        unweighted.model,
        unweighted.run,
    )
    stream = weightless.create_stream(DecodeOptions())
    assert [s.text for s in run_stream(stream, speak(frames))[0]] == ["the cot"]


def test_decoder_option_overrides_the_directory_and_a_missing_lexicon_is_named(
    tmp_path: Path,
) -> None:
    from tui_captions.errors import ModelError

    engine = scripted_engine(tmp_path)
    with pytest.raises(ModelError, match=r"lexicon\.txt: the beam decoder needs a lexicon"):
        engine.create_stream(DecodeOptions(decoder="beam"))


def test_greedy_path_counts_a_label_repeated_across_an_endpoint_once() -> None:
    text = LabelText(LABELS, "|")
    path = GreedyPath(0, text, endpoint_frames=2, max_frames=100)
    ids = [LABELS.index(c) for c in "tt--"]
    ended = [path.push(label, frame) for frame, label in enumerate(ids)]
    assert ended == [False, False, False, True]
    assert text(path.close().tokens) == "t"
    assert path.preview([LABELS.index("a")]) == "a"


def test_label_text_drops_control_labels_and_reads_word_marks() -> None:
    text = LabelText(["<blank>", "\u2581the", "\u2581c", "at", "<unk>", "|"], "|")
    assert text([1, 2, 3, 4, 5, 1]) == "the cat the"
    assert text.is_silence(4) and text.is_silence(5) and not text.is_silence(3)


def write_lexicon_and_lm(directory: Path) -> None:
    (directory / "lexicon.txt").write_text("the t h e |\ncat c a t |\ncot c o t |\n")
    (directory / "lm.arpa").write_text(
        "\\data\\\nngram 1=6\nngram 2=3\n\n"
        "\\1-grams:\n-99.0\t<s>\t-0.5\n-1.0\t</s>\t0\n-2.0\t<unk>\t0\n"
        "-0.5\tthe\t-0.5\n-1.0\tcat\t0\n-1.0\tcot\t0\n\n"
        "\\2-grams:\n-0.1\t<s> the\n-0.1\tthe cat\n-3.0\tthe cot\n\n\\end\\\n"
    )
