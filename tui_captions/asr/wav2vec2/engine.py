"""The ``captions-tui/wav2vec2-ctc`` engine: wav2vec2 + CTC over sliding windows.

wav2vec2 is not a streaming model, so each chunk (one hop) slides a window
over the last ``window_seconds`` of audio and runs the whole window. A frame
becomes final once it is ``margin_seconds`` inside a window's end, so every
frame is final in exactly one window and was decoded with context on both
sides; frames in the margin are shown as partial text. Until the first window
is full it covers all audio so far and nothing is final yet: a clip shorter
than one window is decoded in one piece, exactly as torchaudio's tutorial
pipeline does it. Work per chunk is one window, however long the session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tui_captions.asr.catalog import language_model_files
from tui_captions.asr.endpointing import word_times
from tui_captions.asr.engine import DecodeOptions, RunOptions, StepResult, StreamFormat
from tui_captions.asr.hotwords import HotwordError
from tui_captions.asr.runtime import configure_threads, place
from tui_captions.asr.tokens import writing_of
from tui_captions.asr.wav2vec2.ctc import BeamSearch, GreedyPath, LabelText, LexiconFiles
from tui_captions.asr.wav2vec2.model import read_wav2vec2_weights
from tui_captions.asr.wav2vec2.model_dir import (
    LEXICON_FILE,
    LM_FILES,
    Wav2Vec2Config,
    read_wav2vec2_config,
)
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing
from tui_captions.errors import ModelError


@dataclass(frozen=True)
class Wav2Vec2Engine:
    """A prepared wav2vec2 CTC model (the engine's :class:`AsrModel`), shared by its streams."""

    directory: Path
    config: Wav2Vec2Config
    model: torch.nn.Module  # a Wav2Vec2Model: (batch, samples) -> (logits, lengths)
    run: RunOptions

    @property
    def format(self) -> StreamFormat:
        return self.config.stream_format

    @property
    def engine(self) -> str:
        return "ctc"

    @property
    def languages(self) -> tuple[str, ...]:
        return ()

    @property
    def writing(self) -> Writing:
        return writing_of(self.config.labels)  # torchaudio's are capitals

    def create_stream(self, options: DecodeOptions) -> Wav2Vec2Stream:
        if options.hotwords:
            raise HotwordError(
                f"{self.directory}: hotwords need the RNN-T engine (the search they bias); "
                "this is a wav2vec2 CTC model: run it without --hotwords, or use an "
                "Emformer RNN-T model"
            )
        return Wav2Vec2Stream(self, options)

    def lexicon_files(self, lm: str | None) -> LexiconFiles:
        """The beam search's files: a named LibriSpeech LM, else the model directory's."""
        if lm is not None:
            return language_model_files(lm)
        lexicon = self.directory / LEXICON_FILE
        if not lexicon.is_file():
            raise ModelError(
                f"{lexicon}: the beam decoder needs a lexicon in the model directory "
                "(or --lm librispeech-4-gram for the LibriSpeech models); "
                "use --decoder greedy without one"
            )
        found = [self.directory / n for n in LM_FILES if (self.directory / n).is_file()]
        return LexiconFiles(lexicon, found[0] if found else None)

    @torch.inference_mode()
    def emissions(self, window: np.ndarray) -> torch.Tensor:
        """(frames, labels) log-probabilities of one window of samples."""
        waveform = torch.from_numpy(window).to(self.run.compute)[None]
        logits: torch.Tensor = self.model(waveform)[0]
        return logits[0].float().log_softmax(-1).cpu()


def load_wav2vec2(directory: Path, run: RunOptions) -> Wav2Vec2Engine:
    """Read and check the directory, then place (and quantize) the model as asked."""
    configure_threads(run.threads)
    if not directory.is_dir():
        raise ModelError(f"{directory}: not a model directory")
    config = read_wav2vec2_config(directory)
    model = read_wav2vec2_weights(directory, config)
    return Wav2Vec2Engine(directory, config, place(model, run.quantize, run.compute), run)


class Wav2Vec2Stream:
    """One audio stream's window, final frames and open segment (:class:`RecognizerStream`)."""

    def __init__(
        self,
        engine: Wav2Vec2Engine,
        options: DecodeOptions | None = None,
    ) -> None:
        self._engine = engine
        self.options = options or DecodeOptions()
        config = engine.config
        self.format = config.stream_format
        self._frame_seconds = config.frame_samples / config.sample_rate
        self._text = LabelText(config.labels, config.word_separator)
        self._path = GreedyPath(
            config.blank,
            self._text,
            round(self.options.endpoint_silence_s / self._frame_seconds),
            round(self.options.max_segment_s / self._frame_seconds),
        )
        decoder = self.options.decoder or config.decoder
        self._beam = (
            BeamSearch(
                engine.lexicon_files(self.options.lm),
                config.labels,
                config.blank,
                config.word_separator,
                config.beam.beam_size,
                config.beam.lm_weight,
                config.beam.word_score,
            )
            if decoder == "beam"
            else None
        )
        self.reset()

    def reset(self) -> None:
        """Forget all audio: the next chunk starts a new stream at time zero."""
        self._window = np.zeros(self._engine.config.window_samples, dtype=np.float32)
        self._received = 0  # samples on this stream's time line
        self._final_until = 0  # frames before this one are final
        self._pending = torch.empty(0)  # the last window's log-probs of frames not yet final
        self._path.reset()
        self._next_id = 0
        if self._beam is not None:
            self._beam.reset()

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        """Slide the window by one hop of samples and decode it.

        ``chunk_index`` places the chunk on the stream's time line; chunks a
        capture dropped are filled with silence, so times stay true.
        """
        started = time.perf_counter()
        hop = self.format.chunk_samples
        chunk = np.asarray(samples, dtype=np.float32)
        if chunk.shape != (hop,):
            raise ValueError(f"expected {hop} samples, got {chunk.shape}")
        finals: tuple[Segment, ...] = ()
        if chunk_index is not None and chunk_index > self._received // hop:
            finals = self._skip_to(chunk_index * hop)
        self._window = np.roll(self._window, -hop)
        self._window[-hop:] = chunk
        self._received += hop
        window = self._window[-min(self._received, len(self._window)) :]
        log_probs = self._engine.emissions(window)
        first_frame = (self._received - len(window)) // self._engine.config.frame_samples
        full = self._received >= len(self._window)
        final_until = first_frame + log_probs.shape[0] - self._engine.config.margin_frames
        finals += self._finalize(log_probs, first_frame, final_until if full else first_frame)
        partial = self._path.preview(self._pending.argmax(-1).tolist())
        return StepResult(partial, finals, (time.perf_counter() - started) * 1000.0)

    def finish(self) -> tuple[Segment, ...]:
        """End of input: the frames still in the margin become final, then the open segment."""
        finals = self._finalize(self._pending, self._final_until, None)
        return finals + self._close()

    def _skip_to(self, sample: int) -> tuple[Segment, ...]:
        """Chunks were dropped: what was heard is final, and the window restarts in silence
        at ``sample`` of the time line."""
        finals = self.finish()
        self._path.reset()
        self._window[:] = 0.0
        self._received = sample
        self._final_until = sample // self._engine.config.frame_samples
        self._pending = torch.empty(0)
        return finals

    def _finalize(
        self, log_probs: torch.Tensor, first_frame: int, until: int | None
    ) -> tuple[Segment, ...]:
        """Frames from ``_final_until`` up to ``until`` (None: all) become final; keep the rest."""
        start = max(0, self._final_until - first_frame)
        stop = log_probs.shape[0] if until is None else max(start, until - first_frame)
        labels = log_probs[start:stop].argmax(-1).tolist()
        finals: tuple[Segment, ...] = ()
        fed = start
        for offset, label in enumerate(labels):
            frame = first_frame + start + offset
            if self._path.push(label, frame):
                if self._beam is not None:
                    self._beam.step(log_probs[fed : start + offset + 1])
                    fed = start + offset + 1
                finals += self._close()
        if self._beam is not None:
            self._beam.step(log_probs[fed:stop])
        self._final_until = max(self._final_until, first_frame + stop)
        self._pending = log_probs[stop:]
        return finals

    def _close(self) -> tuple[Segment, ...]:
        """The open segment as a final one (none when it holds no words)."""
        closed = self._path.close()
        text = self._beam.close() if self._beam is not None else self._text(closed.tokens)
        if not text or closed.first_frame is None:
            return ()
        seconds = self._frame_seconds
        start = closed.first_frame * seconds
        end = (closed.last_voiced_frame + 1) * seconds
        # The beam's words may differ from the greedy path's: its times hold while the
        # count of words does.
        times = [(frame * seconds, (frame + 1) * seconds) for frame in closed.frames]
        timed = word_times(closed.tokens, times, self._text)
        segment = Segment(
            self._next_id,
            start,
            end,
            text,
            word_times=timed if len(timed) == len(text.split()) else (),
        )
        self._next_id += 1
        return (segment,)
