"""The sherpa-onnx engine on random-weight models of the released layout, in this process:
partials, endpoints, word times, streams sharing a model, searches, hotwords, languages."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tools.random_sherpa import BUILDERS, SIZES, make_random_sherpa
from tui_captions.asr.engine import DecodeOptions, RecognizerStream, RunOptions
from tui_captions.asr.hotwords import Hotword, HotwordError
from tui_captions.asr.registry import engine_for
from tui_captions.asr.sherpa.engine import SherpaModel, load_sherpa
from tui_captions.asr.sherpa.model_dir import Family, read_tokens
from tui_captions.audio.protocol import Camera, FfmpegSource
from tui_captions.core.segments import Segment
from tui_captions.errors import ComputeError, ModelError, UserError
from tui_captions.pipeline.session import LabelledSource, for_model

CPU = RunOptions(1, "int8", "cpu")


@pytest.fixture(scope="module")
def lstm(sherpa_lstm_dir: Path) -> SherpaModel:
    return load_sherpa(sherpa_lstm_dir, CPU)


@pytest.fixture(scope="module")
def nemo_ctc(tmp_path_factory: pytest.TempPathFactory) -> SherpaModel:
    directory = tmp_path_factory.mktemp("models") / "sherpa-nemo-ctc"
    make_random_sherpa(directory, "nemo_ctc")
    return load_sherpa(directory, CPU)


@pytest.fixture(scope="module")
def lstm_with_vocab(tmp_path_factory: pytest.TempPathFactory) -> SherpaModel:
    """The LSTM with the bpe.vocab a release ships (sherpa-onnx splits hotwords with it)."""
    directory = tmp_path_factory.mktemp("models") / "sherpa-lstm-vocab"
    make_random_sherpa(directory, "lstm")
    pieces = read_tokens(directory / "tokens.txt")
    lines = [f"{piece}\t{-index / 10}\n" for index, piece in sorted(pieces.items())]
    (directory / "bpe.vocab").write_text("".join(lines), encoding="utf-8")
    return load_sherpa(directory, CPU)


def noise(model: SherpaModel, chunks: int, seed: int = 1, level: float = 0.3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    size = model.format.chunk_samples
    return [(rng.standard_normal(size) * level).astype(np.float32) for _ in range(chunks)]


def decode(stream: RecognizerStream, chunks: list[np.ndarray]) -> tuple[list[Segment], list[str]]:
    """Every chunk, then the end of input: the final segments and the partial after each."""
    finals: list[Segment] = []
    partials: list[str] = []
    for chunk in chunks:
        step = stream.accept(chunk)
        finals += step.finals
        partials.append(step.partial)
        assert step.compute_ms > 0
    return finals + list(stream.finish()), partials


def test_a_released_directory_opens_with_the_sherpa_engine(sherpa_lstm_dir: Path) -> None:
    assert engine_for(sherpa_lstm_dir) is load_sherpa


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_every_family_writes_timed_lines_with_the_search_it_has(
    family: Family, tmp_path: Path
) -> None:
    """Transducers search with a beam by default; NeMo and CTC models only greedily."""
    make_random_sherpa(tmp_path / family, family)
    model = load_sherpa(tmp_path / family, CPU)
    finals, partials = decode(model.create_stream(DecodeOptions()), noise(model, 20))
    assert finals and any(partials)
    assert all(len(line.word_times) == len(line.text.split()) for line in finals)
    assert all(0 <= line.start < line.end <= 20 * model.format.chunk_seconds + 1 for line in finals)
    (search,) = model._recognizers
    greedy_only = family.startswith("nemo") or family.endswith("ctc")
    assert search.method == ("greedy_search" if greedy_only else "modified_beam_search")
    assert model.engine == ("ctc" if family.endswith("ctc") else "rnnt")


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_one_line_is_what_sherpa_onnxs_own_loop_writes(family: Family, tmp_path: Path) -> None:
    """Greedy, no endpoint in reach: chunk by chunk through the engine, the same text as
    sherpa-onnx's decoding loop over the whole audio and the same tail of silence."""
    make_random_sherpa(tmp_path / family, family)
    model = load_sherpa(tmp_path / family, CPU)
    chunks = noise(model, 20)
    never = DecodeOptions(decoder="greedy", endpoint_silence_s=1e3, max_segment_s=1e3)
    (line,) = decode(model.create_stream(never), chunks)[0]
    recognizer = next(iter(model._recognizers.values()))
    stream = recognizer.create_stream()
    tail = np.zeros(round(model.flush_seconds * 16_000), np.float32)
    stream.accept_waveform(16_000, np.concatenate([*chunks, tail]))
    while recognizer.is_ready(stream):
        recognizer.decode_stream(stream)
    assert line.text == " ".join(recognizer.get_result(stream).split())


def test_the_chunk_is_the_models_own(lstm: SherpaModel, nemo_ctc: SherpaModel) -> None:
    """decode_chunk_len (icefall) and chunk_shift (NeMo) feature frames of 10 ms."""
    assert lstm.format.chunk_samples == int(lstm.files.metadata["decode_chunk_len"]) * 160
    assert nemo_ctc.format.chunk_samples == int(nemo_ctc.files.metadata["chunk_shift"]) * 160
    assert (lstm.engine, nemo_ctc.engine) == ("rnnt", "ctc")


def test_lines_have_words_partials_and_word_times_in_order(lstm: SherpaModel) -> None:
    finals, partials = decode(lstm.create_stream(DecodeOptions()), noise(lstm, 40))
    assert finals and any(partials)
    previous_end = 0.0
    for segment in finals:
        assert segment.text == " ".join(segment.text.split())
        assert len(segment.word_times) == len(segment.text.split())
        starts = [start for start, _ in segment.word_times]
        assert starts == sorted(starts)
        assert previous_end <= segment.start < segment.end <= 40 * lstm.format.chunk_seconds + 1
        assert segment.word_times[0][0] == segment.start
        assert segment.word_times[-1][1] == segment.end
        previous_end = segment.start


def test_silence_after_words_ends_the_line(lstm: SherpaModel) -> None:
    """sherpa-onnx's endpoint at --endpoint-silence: words, then silence, and the line ends
    while audio goes on. With a longer silence asked for, it ends only with the input."""
    silence = np.zeros(lstm.format.chunk_samples, np.float32)
    chunks = noise(lstm, 6) + [silence] * 8
    quick = lstm.create_stream(DecodeOptions(endpoint_silence_s=0.5, decoder="greedy"))
    ended = [index for index, chunk in enumerate(chunks) if quick.accept(chunk).finals]
    (index,) = ended  # the chunk a model's window (look-ahead) and 0.5 s later
    assert 6 < index <= 10
    patient = lstm.create_stream(DecodeOptions(endpoint_silence_s=30.0, decoder="greedy"))
    assert not any(patient.accept(chunk).finals for chunk in chunks)
    assert len(patient.finish()) == 1


def test_a_long_line_ends_at_its_next_token(nemo_ctc: SherpaModel) -> None:
    """The random NeMo CTC model writes on and on: --max-segment cuts it into lines."""
    chunks = noise(nemo_ctc, 60)
    long_lines, _ = decode(nemo_ctc.create_stream(DecodeOptions()), chunks)
    short_lines, _ = decode(nemo_ctc.create_stream(DecodeOptions(max_segment_s=2.0)), chunks)
    assert len(long_lines) == 1
    assert len(short_lines) >= 4
    assert all(line.end - line.start < 2.0 + 0.5 for line in short_lines)
    assert " ".join(line.text for line in short_lines).split() != []


def test_a_nemo_ctc_models_times_are_its_own_frames(nemo_ctc: SherpaModel) -> None:
    """sherpa-onnx reports CTC times in 40 ms frames; a NeMo model's are 80 ms."""
    (line,) = decode(nemo_ctc.create_stream(DecodeOptions()), noise(nemo_ctc, 60))[0]
    assert 8.0 < line.end <= 60 * nemo_ctc.format.chunk_seconds + 0.7


def test_dropped_chunks_move_the_times_not_the_model(lstm: SherpaModel) -> None:
    chunks = noise(lstm, 6)
    plain = lstm.create_stream(DecodeOptions(endpoint_silence_s=30.0))
    later = lstm.create_stream(DecodeOptions(endpoint_silence_s=30.0))
    for index, chunk in enumerate(chunks):
        plain.accept(chunk, index)
        later.accept(chunk, index + 10)
    (first,), (second,) = plain.finish(), later.finish()
    assert second.text == first.text
    shift = 10 * lstm.format.chunk_seconds
    assert second.start == pytest.approx(first.start + shift, abs=1e-3)


def test_two_streams_share_the_model_and_keep_their_own_state(lstm: SherpaModel) -> None:
    """Meeting mode: two sources on one recognizer decode as if each were alone."""
    options = DecodeOptions(endpoint_silence_s=0.4)
    one, other = noise(lstm, 12, seed=2), noise(lstm, 12, seed=3)
    alone = [decode(lstm.create_stream(options), chunks)[0] for chunks in (one, other)]
    first, second = lstm.create_stream(options), lstm.create_stream(options)
    together: list[list[Segment]] = [[], []]
    for a, b in zip(one, other, strict=True):
        together[0] += first.accept(a).finals
        together[1] += second.accept(b).finals
    together[0] += first.finish()
    together[1] += second.finish()
    assert [[s.text for s in lines] for lines in together] == [
        [s.text for s in lines] for lines in alone
    ]
    assert alone[0] != alone[1]


def test_reset_starts_again_at_time_zero_and_finish_lets_audio_go_on(lstm: SherpaModel) -> None:
    stream = lstm.create_stream(DecodeOptions(endpoint_silence_s=30.0))
    chunks = noise(lstm, 5)
    first, _ = decode(stream, chunks)
    again, _ = decode(stream, chunks)  # after finish: a quiet source speaks again
    assert again and again[-1].end > 2 * len(chunks) * lstm.format.chunk_seconds
    stream.reset()
    redone, _ = decode(stream, chunks)
    assert redone == [dataclasses.replace(s, id=s.id + 2) for s in first]


def test_recognizers_are_made_once_per_decoding_configuration(sherpa_lstm_dir: Path) -> None:
    model = load_sherpa(sherpa_lstm_dir, CPU)
    chunks = noise(model, 20)
    beam = decode(model.create_stream(DecodeOptions()), chunks)[0]
    decode(model.create_stream(DecodeOptions(decoder="beam")), chunks)
    greedy = decode(model.create_stream(DecodeOptions(decoder="greedy")), chunks)[0]
    wide = decode(model.create_stream(DecodeOptions(beam=8)), chunks)[0]
    assert sorted((s.method, s.paths) for s in model._recognizers) == [
        ("greedy_search", 1),
        ("modified_beam_search", 4),
        ("modified_beam_search", 8),
    ]
    assert [s.text for s in greedy] != [s.text for s in beam]
    assert wide  # a wider beam decodes too


def test_greedy_only_families_refuse_a_beam_and_every_family_refuses_lm(
    nemo_ctc: SherpaModel, lstm: SherpaModel
) -> None:
    with pytest.raises(ModelError, match="greedy search only: leave out --decoder beam"):
        nemo_ctc.create_stream(DecodeOptions(decoder="beam"))
    nemo_ctc.create_stream(DecodeOptions(decoder="greedy"))
    with pytest.raises(ModelError, match="leave out --lm"):
        lstm.create_stream(DecodeOptions(lm="librispeech-4-gram"))


def test_hotwords_bias_a_transducers_beam_search(lstm_with_vocab: SherpaModel) -> None:
    chunks = noise(lstm_with_vocab, 40)
    plain = decode(lstm_with_vocab.create_stream(DecodeOptions()), chunks)[0]
    hotwords = (Hotword("tea", 8.0),)
    biased = decode(lstm_with_vocab.create_stream(DecodeOptions(hotwords=hotwords)), chunks)[0]

    def count(lines: list[Segment]) -> int:
        return sum(line.text.count("t") for line in lines)

    assert count(biased) > count(plain)


def test_hotwords_need_the_beam_search(lstm_with_vocab: SherpaModel) -> None:
    options = DecodeOptions(decoder="greedy", hotwords=(Hotword("tea", 2.0),))
    with pytest.raises(HotwordError, match="leave out --decoder greedy"):
        lstm_with_vocab.create_stream(options)


def test_hotwords_of_a_word_piece_model_need_its_bpe_vocab(lstm: SherpaModel) -> None:
    """Without it sherpa-onnx would split the phrase with no splitter (a crash)."""
    with pytest.raises(HotwordError, match=r"no bpe\.vocab, which sherpa-onnx needs"):
        lstm.create_stream(DecodeOptions(hotwords=(Hotword("tea", 2.0),)))


def test_a_phrase_the_model_cannot_write_is_named(lstm_with_vocab: SherpaModel) -> None:
    unwritable = Hotword("caf\u00e9 42", 2.0, "--hotwords")
    with pytest.raises(HotwordError, match=r"--hotwords: this model cannot write 'caf\S+ 42'"):
        lstm_with_vocab.create_stream(DecodeOptions(hotwords=(unwritable,)))


def test_hotwords_are_refused_for_ctc(nemo_ctc: SherpaModel) -> None:
    with pytest.raises(HotwordError, match="decodes greedily only, no hotwords"):
        nemo_ctc.create_stream(DecodeOptions(hotwords=(Hotword("tea", 2.0),)))


def test_a_language_on_a_model_of_one_is_refused(lstm: SherpaModel) -> None:
    assert lstm.languages == ()
    with pytest.raises(ModelError, match="writes one language only; leave out --language"):
        lstm.create_stream(DecodeOptions(language="fr"))


def test_a_multilingual_models_stream_writes_the_language_asked_for(tmp_path: Path) -> None:
    """Nemotron 3.5's contract: the per-stream option picks the encoder's language prompt."""
    SIZES["nemotron-3.5"](tmp_path, 0, False)
    model = load_sherpa(tmp_path, CPU)
    assert model.languages == ("de-DE", "en-US", "fr-FR")
    assert model.writing.language == ""  # whichever is asked for: no English rules
    chunks = noise(model, 20)

    def text(language: str) -> list[str]:
        lines, _ = decode(model.create_stream(DecodeOptions(language=language)), chunks)
        return [line.text for line in lines]

    assert text("en-US") != text("de-DE")
    assert text("fr") == text("fr-FR") == text("FR_fr")
    with pytest.raises(ModelError, match="writes de-DE, en-US, fr-FR; choose one of them"):
        model.create_stream(DecodeOptions(language="ja"))


def test_int8_is_the_directorys_choice(sherpa_lstm_dir: Path, tmp_path: Path) -> None:
    """--quantize cannot requantize an ONNX export: the bar says what the files are."""
    assert load_sherpa(sherpa_lstm_dir, CPU).run.compute_label == "cpu fp32"
    make_random_sherpa(tmp_path / "int8", "lstm", int8=True)
    fp32 = RunOptions(1, "none", "cpu")
    assert load_sherpa(tmp_path / "int8", fp32).run.compute_label == "cpu int8"


def test_cuda_is_refused_in_one_line(sherpa_lstm_dir: Path) -> None:
    with pytest.raises(ComputeError, match="runs on the CPU only"):
        load_sherpa(sherpa_lstm_dir, RunOptions(1, "int8", "cuda"))


def test_a_camera_beside_a_sherpa_model_is_refused(lstm: SherpaModel) -> None:
    source = FfmpegSource("talk.wav", camera=Camera("/dev/video0"))
    with pytest.raises(UserError, match="--camera needs an audio-visual model"):
        for_model([LabelledSource(source, "talk", "other")], lstm.format.wants_video)
