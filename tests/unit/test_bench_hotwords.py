"""What bench.hotwords decides before it measures: the shared words, and the tiny sherpa-onnx
model made ready for sherpa-onnx's hotwords."""

from __future__ import annotations

import shutil
from pathlib import Path

import sentencepiece as spm

from bench.hotwords import worst_words
from bench.sherpa_models import with_bpe_vocab
from tools.random_sherpa import make_random_sherpa
from tools.tiny_model.train import FIXTURE_DIR
from tui_captions.asr.sherpa.model_dir import read_sherpa_dir


def test_the_words_are_the_worst_on_average_over_the_models() -> None:
    emformer = {"cat": (4, 0), "king": (6, 2), "tea": (5, 5), "rare": (3, 0)}
    sherpa = {"cat": (4, 4), "king": (6, 2), "tea": (5, 4), "rare": (3, 0)}
    # mean recall: king 0.33, cat 0.5, tea 0.9; rare is said too seldom to count
    assert worst_words([emformer, sherpa], 4) == ["king", "cat", "tea"]
    assert worst_words([emformer], 1) == ["cat"]


def test_a_model_without_bpe_vocab_gets_a_copy_with_one_from_its_bpe_model(
    tmp_path: Path,
) -> None:
    released = tmp_path / "released"
    make_random_sherpa(released, "lstm")
    shutil.copyfile(FIXTURE_DIR / "tokenizer.model", released / "bpe.model")
    assert read_sherpa_dir(released).hotwords_problem() is not None

    ready = with_bpe_vocab(released, tmp_path / "work")

    assert ready != released and not (released / "bpe.vocab").exists()
    assert read_sherpa_dir(ready).hotwords_problem() is None
    tokenizer = spm.SentencePieceProcessor(model_file=str(released / "bpe.model"))
    lines = (ready / "bpe.vocab").read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        tokenizer.id_to_piece(i) for i in range(tokenizer.get_piece_size())
    ]
    assert with_bpe_vocab(ready, tmp_path / "again") == ready  # one there: used as it is
