"""The sherpa-onnx model directories the benchmarks run: the tiny trained one and a random one
of the 70 M zipformer's size, built into ``.work/`` when first asked for (270 MB that no test
needs, so never in a test's way)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools.random_sherpa import SIZES, quantize_release
from tui_captions.asr.sherpa.model_dir import BPE_VOCAB_FILE

REPO = Path(__file__).resolve().parents[1]
TINY_SHERPA = REPO / "tests" / "fixtures" / "tiny-sherpa"
WORK = REPO / ".work" / "bench"
SEED = 0


def random_70m(int8: bool) -> Path:
    """The random 70 M zipformer, fp32 or with the int8 files beside (the engine prefers
    them, as with a release). Built once: written under a temporary name, then renamed, so
    a directory found there is complete."""
    directory = WORK / ("sherpa-70m-int8" if int8 else "sherpa-70m")
    if directory.is_dir():
        return directory
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    SIZES["70m"](partial, SEED, False)
    if int8:
        quantize_release(partial)
    partial.rename(directory)
    return directory


def with_bpe_vocab(directory: Path, work: Path) -> Path:
    """``directory``, or where it has a ``bpe.model`` but no ``bpe.vocab`` (which sherpa-onnx
    needs to spell hotwords), a copy in ``work`` with the vocab written from the model, as
    sentencepiece's trainer writes it beside the model: ``piece<TAB>score`` in id order."""
    if (directory / BPE_VOCAB_FILE).is_file() or not (directory / "bpe.model").is_file():
        return directory
    import sentencepiece as spm

    copy = work / directory.name
    shutil.copytree(directory, copy)
    tokenizer = spm.SentencePieceProcessor(model_file=str(directory / "bpe.model"))
    lines = [
        f"{tokenizer.id_to_piece(i)}\t{tokenizer.get_score(i):g}\n"
        for i in range(tokenizer.get_piece_size())
    ]
    (copy / BPE_VOCAB_FILE).write_text("".join(lines), encoding="utf-8")
    print(f"{directory}: no {BPE_VOCAB_FILE}; hotwords run on a copy with one from its bpe.model")
    return copy
