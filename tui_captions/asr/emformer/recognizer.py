"""The streaming recognizer: audio chunks in, partial text and final segments out.

Each chunk is decoded as torchaudio's streaming tutorial does it (previous
chunk's look-ahead prepended, streaming features, the Emformer's streaming step
carrying its state, ``RNNTBeamSearch``'s algorithm carrying the hypothesis
list), through :mod:`tui_captions.asr.emformer.transducer`, which computes the same.
Unlike the tutorial, the hypothesis is cut at endpoints: the text becomes a
final segment and the search restarts from a fresh hypothesis, so the work per
chunk stays flat however long the session runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tui_captions.asr.context_graph import ContextGraph, build_graph
from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir
from tui_captions.asr.emformer.runtime import prepare_model
from tui_captions.asr.emformer.transducer import streaming_transducer
from tui_captions.asr.endpointing import SegmentTracker
from tui_captions.asr.engine import DecodeOptions, RunOptions, StepResult, StreamFormat
from tui_captions.asr.runtime import configure_threads, plain_executor
from tui_captions.asr.tokens import Detokenizer
from tui_captions.asr.transducer_search import CarriedHypothesis, best_tokens, finished
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing
from tui_captions.errors import ModelError

# Silence decoded after the end of input so the last word is emitted.
FLUSH_SECONDS = 0.32


class Recognizer:
    """Synchronous streaming decoder; one instance per audio stream."""

    def __init__(self, files: ModelFiles, options: DecodeOptions | None = None) -> None:
        self.config = files.config
        self.format = files.config.stream_format
        self.options = options or DecodeOptions()
        if self.options.beam < 1:
            raise ValueError("beam width must be at least 1")
        if self.options.decoder is not None or self.options.lm is not None:
            raise ModelError(
                f"{files.directory}: --decoder and --lm choose a CTC model's decoder; this is "
                "an Emformer RNN-T, whose search is always a beam search (width: --beam)"
            )
        self._device = torch.device(files.compute)
        self._features = FeatureExtractor(files.config, files.stats).to(self._device).eval()
        self._transducer = (
            files.search
            if files.search is not None
            else streaming_transducer(files.model, files.config.blank)
        )
        self._graph = self._hotword_graph(files) if self.options.hotwords else None
        self._tracker = SegmentTracker(
            files.config.chunk_seconds,
            Detokenizer(files.tokenizer),
            self.options.endpoint_silence_s,
            self.options.max_segment_s,
        )
        self.reset()

    def reset(self) -> None:
        """Forget all audio: the next chunk starts a new stream at time zero."""
        self._context = torch.zeros(self.config.context_samples, device=self._device)
        self._state: list[list[torch.Tensor]] | None = None
        self._hypotheses: list[CarriedHypothesis] | None = None
        self._tracker.reset()
        self._chunks_seen = 0
        self.stage_ms: dict[str, float] = {}  # the last chunk's time per stage (benchmarks)

    @property
    def audio_seconds(self) -> float:
        return self._chunks_seen * self.config.chunk_seconds

    @torch.inference_mode()
    def accept(
        self,
        samples: np.ndarray | torch.Tensor,
        chunk_index: int | None = None,
        video: np.ndarray | None = None,
    ) -> StepResult:
        """Decode one chunk of ``chunk_samples`` mono samples at the model's rate (an
        audio-only model: ``video`` is never given).

        ``chunk_index`` places the chunk on the session's time line (chunks a
        capture dropped leave gaps); by default chunks are taken as contiguous.
        """
        started = time.perf_counter()
        chunk = torch.as_tensor(samples, dtype=torch.float32, device=self._device)
        if chunk.shape != (self.config.chunk_samples,):
            raise ValueError(
                f"expected {self.config.chunk_samples} samples, got {tuple(chunk.shape)}"
            )
        index = self._chunks_seen if chunk_index is None else chunk_index
        self._chunks_seen = index + 1
        with_context = torch.cat((self._context, chunk))
        self._context = chunk[-self.config.context_samples :]
        features = self._features(with_context)
        featured = self._synchronized()
        with plain_executor():
            encoded, self._state = self._transducer.encode(features, self._state)
            encoded_at = self._synchronized()
            self._hypotheses = self._transducer.search(
                encoded, self._hypotheses, self.options.beam, self._graph
            )
        searched = self._synchronized()
        self.stage_ms = {
            "features": (featured - started) * 1000.0,
            "encoder": (encoded_at - featured) * 1000.0,
            "search": (searched - encoded_at) * 1000.0,
        }
        tokens = best_tokens(self._hypotheses)
        finals = self._close_segment() if self._tracker.update(tokens, index) else ()
        return StepResult(self._tracker.partial, finals, (time.perf_counter() - started) * 1000.0)

    def _synchronized(self) -> float:
        """Now, after the GPU's queued work (a chunk's time includes it)."""
        if self._device.type == "cuda":
            torch.cuda.synchronize(self._device)
        return time.perf_counter()

    def finish(self, flush: bool = True) -> tuple[Segment, ...]:
        """End of input: whatever is still partial becomes final.

        With ``flush``, a little silence is decoded first, as a live stream would
        go on after the last word: the last 40 ms of audio were only ever seen as
        look-ahead, and the search needs a few frames past a word to emit it.
        """
        finals: tuple[Segment, ...] = ()
        if flush and self._chunks_seen:
            silence = np.zeros(self.config.chunk_samples, dtype=np.float32)
            for _ in range(round(FLUSH_SECONDS / self.config.chunk_seconds)):
                finals += self.accept(silence).finals
        return finals + self._close_segment()

    def _close_segment(self) -> tuple[Segment, ...]:
        """Emit the open text (if any) and restart the search from a fresh hypothesis."""
        hypotheses, self._hypotheses = self._hypotheses, None
        if hypotheses is None or self._graph is None:
            return self._tracker.close()
        return self._tracker.close(finished(hypotheses, self._graph)[1:])

    def _hotword_graph(self, files: ModelFiles) -> ContextGraph:
        """The hotwords as the model's tokenizer writes them; the blank is no piece."""
        tokenizer = files.tokenizer
        pieces = [tokenizer.id_to_piece(i) for i in range(tokenizer.get_piece_size())]
        pieces += [""] * (files.config.num_symbols - len(pieces))
        return build_graph(self.options.hotwords, tokenizer.encode, pieces, tokenizer.unk_id())


@dataclass(frozen=True)
class EmformerModel:
    """A prepared Emformer RNN-T (the engine's :class:`AsrModel`): one per process, shared
    by every stream; each :class:`Recognizer` keeps only its own search state."""

    files: ModelFiles
    run: RunOptions

    @property
    def format(self) -> StreamFormat:
        return self.files.config.stream_format

    @property
    def engine(self) -> str:
        return "rnnt"

    @property
    def languages(self) -> tuple[str, ...]:
        return ()

    @property
    def writing(self) -> Writing:
        return Writing()  # LibriSpeech's lower-case word pieces

    def create_stream(self, options: DecodeOptions) -> Recognizer:
        return Recognizer(self.files, options)


def load_emformer(directory: Path, run: RunOptions) -> EmformerModel:
    """The ``captions-tui/emformer-rnnt`` engine: load, quantize as asked, compile the search."""
    configure_threads(run.threads)
    return EmformerModel(prepare_model(load_model_dir(directory), run.quantize, run.compute), run)
