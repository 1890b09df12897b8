"""Punctuation models made at test time with the published model's contract (random weights)."""

from __future__ import annotations

import string
from pathlib import Path

import torch

from tools.punctuation.model import CnnBiLstm, export

WORDS = ("the", "a", "is", "it", "to", "and", "of", "you", "i", "we", "what", "how", "are")


def write_vocab(path: Path) -> None:
    """A sentencepiece-style ``.vocab``: specials, whole words, then single letters."""
    pieces = ["<unk>", "<s>", "</s>", *(f"\u2581{w}" for w in WORDS), "\u2581"]
    pieces += [*string.ascii_lowercase, "'"]
    lines = [f"{p}\t{0.0 if i < 3 else -1.0 - i / 100:.4f}" for i, p in enumerate(pieces)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_punctuation_model(directory: Path, seed: int = 0) -> Path:
    """``model.onnx`` and ``bpe.vocab`` of a random CNN-BiLSTM whose labels vary by word."""
    directory.mkdir(parents=True, exist_ok=True)
    write_vocab(directory / "bpe.vocab")
    vocab = len((directory / "bpe.vocab").read_text(encoding="utf-8").splitlines())
    torch.manual_seed(seed)
    model = CnnBiLstm(vocab, embedding=16, hidden=16)
    with torch.no_grad():  # labels that change from word to word, not one class everywhere
        for head in (model.case_head, model.punct_head):
            head.weight.normal_(0.0, 20.0)
            head.bias.zero_()
    export(model, str(directory / "model.onnx"))
    return directory
