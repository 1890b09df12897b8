"""The engine seam: what the pipeline, the commands and the app know of a recognizer.

As in sherpa-onnx, a loaded model is shared and creates one stream per audio
source (``AsrModel.create_stream``); a stream decodes chunks of its model's
:class:`StreamFormat`. Which engine loads a model directory is decided by the
``format`` in its ``config.json`` (``registry.ENGINES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from tui_captions.asr.defaults import DEFAULT_BEAM, Compute, Quantize
from tui_captions.asr.endpointing import DEFAULT_ENDPOINT_SILENCE_S, DEFAULT_MAX_SEGMENT_S
from tui_captions.asr.hotwords import Hotword
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing
from tui_captions.errors import ModelError


@dataclass(frozen=True)
class StreamFormat:
    """What a stream takes: mono float32 at ``sample_rate``, ``chunk_samples`` a chunk, and
    for an audio-visual model ``video_fps`` face crops a second, ``crop`` pixels square."""

    sample_rate: int
    chunk_samples: int
    video_fps: int = 0  # 0: audio only
    crop: int = 0

    @property
    def chunk_seconds(self) -> float:
        return self.chunk_samples / self.sample_rate

    @property
    def wants_video(self) -> bool:
        return self.video_fps > 0

    @property
    def frames_per_chunk(self) -> int:
        """Video frames that belong to one chunk of audio."""
        return round(self.chunk_seconds * self.video_fps)


@dataclass(frozen=True)
class RunOptions:
    """How a model is prepared to run: torch threads, weights, device."""

    threads: int
    quantize: Quantize
    compute: Compute

    @property
    def compute_label(self) -> str:
        """As the session bar shows it: "cpu int8", "cpu fp32", "cuda fp32"."""
        return f"{self.compute} {'fp32' if self.quantize == 'none' else self.quantize}"


@dataclass(frozen=True)
class DecodeOptions:
    """Per stream: the search's width and when segments end."""

    beam: int = DEFAULT_BEAM
    endpoint_silence_s: float = DEFAULT_ENDPOINT_SILENCE_S
    max_segment_s: float = DEFAULT_MAX_SEGMENT_S
    # CTC engines: "greedy" or "beam" (None: the model directory's choice), and a named
    # language model for the beam search (e.g. "librispeech-4-gram") instead of its own.
    decoder: str | None = None
    lm: str | None = None
    # Phrases the search should prefer (RNN-T engines; see asr/hotwords.py).
    hotwords: tuple[Hotword, ...] = ()
    # An audio-visual model: False blanks the video (--video off).
    video: bool = True
    # A multilingual model: the language to write (None: the model's default); one of
    # AsrModel.languages (check_language).
    language: str | None = None


@dataclass(frozen=True)
class StepResult:
    """What one chunk changed: the current partial text and newly final segments."""

    partial: str
    finals: tuple[Segment, ...]
    compute_ms: float


class RecognizerStream(Protocol):
    """One audio stream's decoder state over a shared model.

    Everything a user can get wrong is refused before a stream exists (by the loader and
    :meth:`AsrModel.create_stream`): a stream raises only for a caller's bug, and torch's
    own errors (a GPU out of memory) pass through it.
    """

    @property
    def format(self) -> StreamFormat: ...

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        """One chunk; ``video``: its face crops ``(frames, crop, crop)`` uint8, for a stream
        whose format wants them (None: none were seen).

        Raises:
            ValueError: ``samples`` is not one chunk of :attr:`format` (the pipeline cuts
                every chunk to it).
        """
        ...

    def finish(self) -> tuple[Segment, ...]: ...

    def reset(self) -> None: ...


class AsrModel(Protocol):
    """A loaded model, prepared to run; streams share its weights."""

    @property
    def format(self) -> StreamFormat: ...

    @property
    def run(self) -> RunOptions: ...

    @property
    def engine(self) -> str:
        """Which kind of recognizer, as the session bar names it ("rnnt", "ctc")."""
        ...

    @property
    def languages(self) -> tuple[str, ...]:
        """What ``--language`` can choose; () for a model of one language."""
        ...

    @property
    def writing(self) -> Writing:
        """How its text comes (language, punctuation, case): what the text seam still does."""
        ...

    def create_stream(self, options: DecodeOptions) -> RecognizerStream:
        """A new stream over this model's weights, decoding as ``options`` say.

        Raises:
            ModelError: the options ask for what this engine does not have (``--decoder``
                or ``--lm`` on an RNN-T), or files its decoder needs are missing or cannot
                be downloaded (a CTC beam search's lexicon; a named language model:
                :class:`~tui_captions.core.download.DownloadError` is a ModelError).
            HotwordError: hotwords on an engine that has no biasing (CTC, audio-visual),
                or phrases this model cannot write, or more pieces than the graph takes.
            ValueError: a beam width below 1 (the Emformer; the settings and the CLI refuse
                it first).
        """
        ...


def matching_language(language: str, languages: tuple[str, ...]) -> str | None:
    """The model's spelling of ``language`` (``fr``, ``fr_fr`` and ``FR-fr`` name ``fr-FR``,
    as sherpa-onnx matches them), or None when it has no such language."""

    def normalized(name: str) -> str:
        return name.strip().strip("<>").replace("_", "-").lower()

    wanted = normalized(language)
    for known in languages:
        if wanted in (normalized(known), normalized(known).split("-")[0]):
            return known
    return None


def check_language(language: str | None, languages: tuple[str, ...], model: str) -> None:
    """Refuse, in one line, a language the model does not write (any, for a model of one)."""
    if language is None:
        return
    if not languages:
        raise ModelError(
            f"--language {language}: {model} writes one language only; leave out --language "
            "(it chooses among a multilingual model's, such as Nemotron 3.5's)"
        )
    if matching_language(language, languages) is None:
        raise ModelError(
            f"--language {language}: {model} writes {', '.join(languages)}; choose one of them"
        )


EngineLoader = Callable[[Path, RunOptions], AsrModel]
"""Opens a model directory of its engine's format (``registry.ENGINES``) and prepares it.

Raises:
    ModelError: the directory is not a model of the format (each problem names its file).
    ComputeError: the model cannot run as asked: ``--compute cuda`` where torch sees no
        CUDA, int8 on CUDA, the audio-visual engine anywhere but on the CPU.
"""
