"""Released sherpa-onnx model directories: files found by their released names, the family read
from the files as sherpa-onnx reads it, and the header reader checked against onnx itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import sherpa_onnx

from tools.random_sherpa import BUILDERS, NEMOTRON_35_PROMPTS, make_random_sherpa, write_nemotron_35
from tui_captions.asr.sherpa.model_dir import (
    Family,
    SherpaDir,
    looks_like_sherpa_dir,
    read_sherpa_dir,
)
from tui_captions.core.onnx_header import read_onnx_header
from tui_captions.errors import ModelError

FAMILIES: list[Family] = sorted(BUILDERS)


def recognizer(model: SherpaDir) -> sherpa_onnx.OnlineRecognizer:
    """sherpa-onnx's own recogniser on the directory's files (greedy search, one thread)."""
    if model.family == "nemo_ctc":
        return sherpa_onnx.OnlineRecognizer.from_nemo_ctc(
            tokens=str(model.tokens), model=str(model.model), num_threads=1
        )
    if model.family == "zipformer2_ctc":
        return sherpa_onnx.OnlineRecognizer.from_zipformer2_ctc(
            tokens=str(model.tokens), model=str(model.model), num_threads=1
        )
    return sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=str(model.tokens),
        encoder=str(model.encoder),
        decoder=str(model.decoder),
        joiner=str(model.joiner),
        num_threads=1,
    )


def decode_noise(
    model: SherpaDir, seconds: float = 2.0, seed: int = 0, language: str | None = None
) -> str:
    samples = np.random.default_rng(seed).standard_normal(int(16000 * seconds)) * 0.1
    engine = recognizer(model)
    stream = engine.create_stream()
    if language is not None:
        stream.set_option("language", language)
    stream.accept_waveform(16000, samples.astype(np.float32))
    stream.input_finished()
    while engine.is_ready(stream):
        engine.decode_stream(stream)
    text: str = engine.get_result(stream)
    return text


@pytest.mark.parametrize("family", FAMILIES)
def test_each_random_model_is_read_as_its_family_and_decodes_noise_to_text(
    family: Family, tmp_path: Path
) -> None:
    model = make_random_sherpa(tmp_path, family)
    assert model.family == family
    assert looks_like_sherpa_dir(tmp_path)
    texts = {decode_noise(model, seed=seed) for seed in (0, 1)}
    assert all(text.strip() for text in texts)
    assert len(texts) == 2  # the audio, not a constant, makes the text


@pytest.mark.parametrize("family", FAMILIES)
def test_the_same_seed_writes_the_same_model(family: Family, tmp_path: Path) -> None:
    first = make_random_sherpa(tmp_path / "a", family, seed=3)
    second = make_random_sherpa(tmp_path / "b", family, seed=3)
    other = make_random_sherpa(tmp_path / "c", family, seed=4)
    for a, b, c in zip(first.onnx_files, second.onnx_files, other.onnx_files, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("family", FAMILIES)
def test_the_header_reader_agrees_with_onnx(family: Family, tmp_path: Path) -> None:
    for path in make_random_sherpa(tmp_path, family).onnx_files:
        header = read_onnx_header(path)
        proto = onnx.load(path)
        assert header.metadata == {p.key: p.value for p in proto.metadata_props}
        assert header.input_names == tuple(v.name for v in proto.graph.input)
        assert header.output_names == tuple(v.name for v in proto.graph.output)
        for value, info in zip(header.inputs, proto.graph.input, strict=True):
            tensor = info.type.tensor_type
            assert value.elem_type == tensor.elem_type
            assert value.dims == tuple(d.dim_param or d.dim_value for d in tensor.shape.dim)


def test_int8_files_are_taken_when_both_are_released(tmp_path: Path) -> None:
    make_random_sherpa(tmp_path, "lstm")
    for path in list(tmp_path.glob("*.onnx")):
        shutil.copy(path, path.with_suffix(".int8.onnx"))
    model = read_sherpa_dir(tmp_path)
    assert [p.name for p in model.onnx_files] == [
        f"{role}-epoch-99-avg-1.int8.onnx" for role in ("encoder", "decoder", "joiner")
    ]


def test_one_export_is_taken_whole_when_a_release_holds_two(tmp_path: Path) -> None:
    make_random_sherpa(tmp_path, "lstm")
    for path in list(tmp_path.glob("*.onnx")):
        role = path.name.split("-")[0]
        path.rename(tmp_path / f"{role}-epoch-99-avg-1-chunk-16-left-64.onnx")
        shutil.copy(
            tmp_path / f"{role}-epoch-99-avg-1-chunk-16-left-64.onnx",
            tmp_path / f"{role}-epoch-99-avg-1-chunk-16-left-128.onnx",
        )
    model = read_sherpa_dir(tmp_path)
    assert {p.name.split("-", 1)[1] for p in model.onnx_files} == {
        "epoch-99-avg-1-chunk-16-left-128.onnx"
    }


def test_a_captions_tui_directory_is_not_taken_for_a_sherpa_one(tmp_path: Path) -> None:
    make_random_sherpa(tmp_path, "lstm")
    (tmp_path / "config.json").write_text("{}")
    assert not looks_like_sherpa_dir(tmp_path)


def test_a_release_without_its_tokens_is_still_taken_for_one_and_refused_for_that(
    tmp_path: Path,
) -> None:
    make_random_sherpa(tmp_path, "nemo_ctc")
    (tmp_path / "tokens.txt").unlink()
    assert looks_like_sherpa_dir(tmp_path)
    with pytest.raises(ModelError, match=f"^{tmp_path / 'tokens.txt'}: file is missing"):
        read_sherpa_dir(tmp_path)


def test_a_folder_without_a_model_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "tokens.txt").write_text("<blk> 0\n")
    with pytest.raises(ModelError, match=str(tmp_path)):
        read_sherpa_dir(tmp_path)


def test_a_nemotron_35_model_names_its_languages_and_decodes_each_its_own_way(
    tmp_path: Path,
) -> None:
    write_nemotron_35(tmp_path)
    model = read_sherpa_dir(tmp_path)
    assert model.family == "nemo_transducer"
    assert model.languages == tuple(sorted(set(NEMOTRON_35_PROMPTS) - {"auto"}))
    texts = {decode_noise(model, language=language) for language in model.languages}
    assert len(texts) == len(model.languages)


def test_initializers_listed_as_inputs_are_not_counted_as_inputs(tmp_path: Path) -> None:
    """Before IR version 4 exports listed the weights among the graph's inputs; onnxruntime
    (and so sherpa-onnx) feeds only the others."""
    model = make_random_sherpa(tmp_path / "model", "lstm")
    assert model.joiner is not None
    proto = onnx.load(model.joiner)
    proto.graph.input.extend(
        onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
        for t in proto.graph.initializer
    )
    old = tmp_path / "old.onnx"
    onnx.save(proto, old)
    assert read_onnx_header(old).input_names == ("encoder_out", "decoder_out")


@pytest.mark.parametrize("content", [b"", b"\x08", b"\x3a\xff\xff\x03"])
def test_an_empty_or_cut_file_is_one_line_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "encoder.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=f"^{path}: .*download the model again$"):
        read_onnx_header(path)


def test_the_app_reads_model_directories_without_the_onnx_package() -> None:
    """onnx is a test dependency: the app reads the protobuf fields itself."""
    code = (
        "import sys, tui_captions.asr.sherpa.model_dir, tui_captions.core.onnx_header\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'onnx'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


TINY_TOKENIZER = Path(__file__).parents[2] / "tui_captions/demo/tiny-emformer/tokenizer.model"


def test_a_release_with_only_bpe_model_gets_the_vocab_sherpa_onnx_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hotwords on such a release work: the vocab is written once, in the cache (the model
    folder may be read-only), with each piece's score as sentencepiece has it."""
    import sentencepiece

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    directory = tmp_path / "release"
    make_random_sherpa(directory, "lstm")
    shutil.copy(TINY_TOKENIZER, directory / "bpe.model")
    directory.chmod(0o555)
    try:
        vocab = read_sherpa_dir(directory).bpe_vocab
    finally:
        directory.chmod(0o755)
    assert vocab is not None and vocab.is_relative_to(tmp_path / "cache")
    processor = sentencepiece.SentencePieceProcessor(model_file=str(TINY_TOKENIZER))
    lines = vocab.read_text(encoding="utf-8").splitlines()
    assert len(lines) == processor.GetPieceSize()
    piece, score = lines[100].split("\t")
    assert (piece, float(score)) == (processor.IdToPiece(100), processor.GetScore(100))
    assert read_sherpa_dir(directory).hotwords_problem() is None


def test_a_damaged_bpe_model_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    make_random_sherpa(tmp_path, "lstm")
    (tmp_path / "bpe.model").write_bytes(TINY_TOKENIZER.read_bytes()[:200])
    with pytest.raises(ModelError, match=r"bpe\.model: not a sentencepiece model"):
        read_sherpa_dir(tmp_path)


def test_a_cache_that_cannot_take_the_vocab_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache" / "captions-tui").mkdir(parents=True)
    (tmp_path / "cache" / "captions-tui" / "bpe-vocab").write_text("a file where a folder goes")
    directory = tmp_path / "release"
    make_random_sherpa(directory, "lstm")
    shutil.copy(TINY_TOKENIZER, directory / "bpe.model")
    with pytest.raises(ModelError, match=r"bpe-vocab: cannot write the bpe\.vocab made from"):
        read_sherpa_dir(directory)
