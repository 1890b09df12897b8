"""CTC decoding over a stream of frames: the greedy best path and the lexicon beam search.

Frames arrive in order and each is decoded once (the sliding window decides
when a frame is final). The greedy path collapses repeats across window
boundaries and finds endpoints in its runs of silence; the optional beam
search (torchaudio's ``ctc_decoder``: flashlight-text, KenLM) is fed the same
frames incrementally and gives a segment's final words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_captions.asr.directory import CONFIG_FILE
from tui_captions.asr.tokens import WORD_BOUNDARY
from tui_captions.errors import ModelError

if TYPE_CHECKING:
    import torch

_SPACES = re.compile(r"\s+")


class LabelText:
    """Label ids -> text: the word separator and sentencepiece's word mark become spaces,
    control labels (``<s>``, ``<unk>``, ...) are dropped."""

    def __init__(self, labels: Sequence[str], word_separator: str | None) -> None:
        self._pieces = [
            ""
            if (label.startswith("<") and label.endswith(">"))
            else " "
            if label == word_separator
            else label.replace(WORD_BOUNDARY, " ")
            for label in labels
        ]

    def __call__(self, ids: Sequence[int]) -> str:
        return _SPACES.sub(" ", "".join(self._pieces[i] for i in ids)).strip()

    def is_silence(self, label: int) -> bool:
        """Blank-like for endpoints: the word separator or a dropped control label."""
        return not self._pieces[label].strip()


@dataclass
class OpenPath:
    """The open segment's greedy tokens and where they were first emitted (frame numbers)."""

    tokens: list[int] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)  # the frame each token came in
    first_frame: int | None = None
    last_voiced_frame: int = 0


class GreedyPath:
    """The collapsed argmax path of one stream, segment by segment.

    ``push`` takes one final frame's best label; it reports an endpoint after
    ``endpoint_frames`` of blank or silence following text, or once the text
    has run ``max_frames``.
    """

    def __init__(self, blank: int, text: LabelText, endpoint_frames: int, max_frames: int) -> None:
        self._blank = blank
        self._text = text
        self._endpoint_frames = max(1, endpoint_frames)
        self._max_frames = max(1, max_frames)
        self.reset()

    def reset(self) -> None:
        self.open = OpenPath()
        self._previous = self._blank
        self._quiet = 0

    def push(self, label: int, frame: int) -> bool:
        """One final frame's best label; True when the open segment should end here."""
        if label != self._previous and label != self._blank:
            self.open.tokens.append(label)  # word separators too: they are the spaces
            self.open.frames.append(frame)
        self._previous = label
        if label != self._blank and not self._text.is_silence(label):
            if self.open.first_frame is None:
                self.open.first_frame = frame
            self.open.last_voiced_frame = frame
            self._quiet = 0
        else:
            self._quiet += 1
        started = self.open.first_frame
        if started is None:
            return False
        return self._quiet >= self._endpoint_frames or frame + 1 - started >= self._max_frames

    def preview(self, labels: Sequence[int]) -> str:
        """The open text followed by frames that are not final yet (they may still change)."""
        tokens = list(self.open.tokens)
        previous = self._previous
        for label in labels:
            if label != previous and label != self._blank:
                tokens.append(label)
            previous = label
        return self._text(tokens)

    def close(self) -> OpenPath:
        """Hand over the open segment and start the next; a label repeated across the
        boundary still counts once."""
        closed, self.open = self.open, OpenPath()
        self._quiet = 0
        return closed


@dataclass(frozen=True)
class LexiconFiles:
    """What the beam search reads: a lexicon (word -> labels) and a KenLM model (or none)."""

    lexicon: Path
    lm: Path | None


class BeamSearch:
    """torchaudio's lexicon beam search, decoding one segment at a time incrementally."""

    def __init__(
        self,
        files: LexiconFiles,
        labels: Sequence[str],
        blank: int,
        word_separator: str | None,
        beam_size: int,
        lm_weight: float,
        word_score: float,
    ) -> None:
        if word_separator is None:
            raise ModelError(
                f"{CONFIG_FILE}: the beam decoder needs a 'word_separator' label; "
                "this model has none (use the greedy decoder)"
            )
        try:
            from torchaudio.models.decoder import ctc_decoder
        except (ImportError, RuntimeError):
            raise ModelError(
                "the beam decoder needs the flashlight-text package, which is not installed: "
                "pip install 'captions-tui[lm]' (Linux wheels for Python 3.10-3.12), "
                "or use --decoder greedy"
            ) from None
        try:
            self._decoder = ctc_decoder(
                lexicon=str(files.lexicon),
                tokens=list(labels),
                lm=None if files.lm is None else str(files.lm),
                beam_size=beam_size,
                lm_weight=lm_weight,
                word_score=word_score,
                blank_token=labels[blank],
                sil_token=word_separator,
            )
        except (RuntimeError, ValueError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise ModelError(
                f"{files.lexicon}: the beam decoder cannot use this lexicon or LM ({first_line})"
            ) from None
        self._decoder.decode_begin()

    def step(self, log_probs: torch.Tensor) -> None:
        """Final frames of the open segment, (frames, labels) log-probabilities."""
        if log_probs.shape[0]:
            self._decoder.decode_step(log_probs.contiguous())

    def close(self) -> str:
        """The open segment's best words; the search restarts empty."""
        self._decoder.decode_end()
        best = self._decoder.get_final_hypothesis()
        self._decoder.decode_begin()
        return " ".join(word for word in best[0].words if word) if best else ""

    def reset(self) -> None:
        self._decoder.decode_end()
        self._decoder.decode_begin()
