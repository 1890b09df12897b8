"""Punctuation and capitals from a model with Edge-Punct-Casing's contract, run by ONNX Runtime.

The published English model (sherpa-onnx's ``online-punct-en``) and the one
trained here share one format: a directory holding ``model.onnx`` (inputs
``token_ids``, ``valid_ids``, ``label_lens``; outputs ``active_case_logits``
and ``active_punct_logits``, one row of four scores per word; metadata naming
the classes) and ``bpe.vocab``. Its authors run it through sherpa-onnx; here
ONNX Runtime runs the same graph, fed exactly as sherpa-onnx feeds it (rows of
``<s> pieces </s>`` padded to 200, a word's first piece marked valid), and a
test holds the output to sherpa-onnx's own. sherpa-onnx itself is not used at
run time: it ends the process on a model without the expected metadata,
where captions must go on with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tui_captions.core.onnx import open_session
from tui_captions.errors import ModelError
from tui_captions.text.pieces import BOS, EOS, Pieces, VocabError

MODEL_FILES = ("model.onnx", "model.int8.onnx")  # the first found is used
VOCAB_FILE = "bpe.vocab"
ROW = 200  # sherpa-onnx's kMaxSeqLen: tokens per row, <s> and </s> included
INPUTS = ("token_ids", "valid_ids", "label_lens")
OUTPUTS = ("active_case_logits", "active_punct_logits")
METADATA = {"COMMA": "1", "PERIOD": "2", "QUESTION": "3", "UPPER": "1", "CAP": "2", "MIX_CASE": "3"}
MARKS = {1: ",", 2: ".", 3: "?"}
UPPER, CAP = 1, 2

Labels = list[tuple[int, int]]  # per word: (case class, punctuation class)


class PunctuationModel:
    """A loaded model; :meth:`labels` is safe to call from one thread at a time."""

    def __init__(self, directory: Path, threads: int = 1) -> None:
        model_file = next((directory / n for n in MODEL_FILES if (directory / n).is_file()), None)
        if not directory.is_dir() or model_file is None:
            raise ModelError(
                f"{directory}: not a punctuation model (expected a folder holding "
                f"{MODEL_FILES[0]} and {VOCAB_FILE})"
            )
        try:
            self.pieces = Pieces.load(directory / VOCAB_FILE)
        except (OSError, VocabError) as exc:
            raise ModelError(
                f"{directory / VOCAB_FILE}: not a sentencepiece vocabulary ({exc})"
            ) from None
        self.name = directory.name
        self._session = _session(model_file, threads)
        self.directory = directory

    def labels(self, words: Sequence[str]) -> Labels:
        """Each word's case and the mark after it, read with all of ``words`` around it."""
        if not words:
            return []
        tokens, valids, counts = self._rows(words)
        case, punct = self._session.run(
            list(OUTPUTS),
            {
                "token_ids": np.asarray(tokens, dtype=np.int32),
                "valid_ids": np.asarray(valids, dtype=np.int32),
                "label_lens": np.asarray(counts, dtype=np.int32),
            },
        )
        if case.shape[0] != len(words) or punct.shape[0] != len(words):
            raise ModelError(
                f"{self.directory}: the model labelled {case.shape[0]} of {len(words)} words"
            )
        return list(zip(case.argmax(1).tolist(), punct.argmax(1).tolist(), strict=True))

    def _rows(self, words: Sequence[str]) -> tuple[list[list[int]], list[list[int]], list[int]]:
        """Rows of ``<s> pieces </s>``, a word that would not fit starting the next one."""
        rows: list[list[int]] = []
        valid_rows: list[list[int]] = []
        counts: list[int] = []
        tokens, valids = [BOS], [1]

        def close() -> None:
            tokens.append(EOS)
            valids.append(1)
            counts.append(sum(valids))
            rows.append(tokens + [0] * (ROW - len(tokens)))
            valid_rows.append(valids + [0] * (ROW - len(valids)))

        for word in words:
            pieces = self.pieces.encode_word(word)
            if len(tokens) + len(pieces) > ROW - 1:
                close()
                tokens, valids = [BOS], [1]
            tokens.extend(pieces)
            valids.extend([1] + [0] * (len(pieces) - 1))
        close()
        return rows, valid_rows, counts


def _session(path: Path, threads: int) -> Any:  # an onnxruntime.InferenceSession
    """An ONNX Runtime session on one thread, its contract checked."""
    session = open_session(path, threads)
    inputs = tuple(i.name for i in session.get_inputs())
    outputs = {o.name for o in session.get_outputs()}
    metadata = session.get_modelmeta().custom_metadata_map
    if inputs != INPUTS or not set(OUTPUTS) <= outputs:
        raise ModelError(
            f"{path}: inputs {inputs} and outputs {sorted(outputs)} are not a punctuation "
            f"model's ({', '.join(INPUTS)} -> {', '.join(OUTPUTS)})"
        )
    wrong = {k: metadata.get(k) for k, v in METADATA.items() if metadata.get(k) != v}
    if wrong:
        raise ModelError(f"{path}: its metadata does not name the classes this app reads ({wrong})")
    return session


def written(words: Sequence[str], labels: Labels) -> list[str]:
    """Each word with its case and mark, as sherpa-onnx writes them (mixed case: as it was)."""
    out = []
    for word, (case, punct) in zip(words, labels, strict=True):
        if case == UPPER:
            word = word.upper()
        elif case == CAP:
            word = word[:1].upper() + word[1:]
        out.append(word + MARKS.get(punct, ""))
    return out
