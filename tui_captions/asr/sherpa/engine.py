"""The sherpa-onnx engine: the released streaming models of k2-fsa's runtime behind the seam.

sherpa-onnx fixes the search, its width and the endpoint rules per recognizer,
so the model keeps one ``OnlineRecognizer`` per distinct decoding configuration,
made on first use and shared by every stream that asks for the same (meeting
mode's two sources run on one); each of our streams owns one sherpa stream.
sherpa-onnx buffers the features and runs the model's own chunk, which its
metadata fixes (a NeMo export runs only the chunk it was exported for), so our
chunk is the model's chunk shift: one encoder run a chunk, whose cost is the
chunk's ``compute_ms``.

Endpoints are sherpa-onnx's own rules, set from ``DecodeOptions``: text followed
by ``endpoint_silence_s`` of blanks ends a line, as long a silence with no text
restarts the search; and, as ``asr/endpointing.py`` does for the other engines,
a line longer than ``max_segment_s`` ends when its next token comes. Word times
come from sherpa-onnx's token times (each token's output frame), moved onto the
session's time line: chunks a capture dropped are skipped, not decoded.

What a model would end the process on (a missing metadata key, an unknown
family) is refused by ``model_dir.read_sherpa_dir`` before sherpa-onnx opens it;
what this engine asks of sherpa-onnx (a decoding method, hotwords) is only ever
what the model's family supports, since sherpa-onnx exits on the rest too.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui_captions.asr.endpointing import word_times
from tui_captions.asr.engine import (
    DecodeOptions,
    RunOptions,
    StepResult,
    StreamFormat,
    check_language,
    matching_language,
)
from tui_captions.asr.hotwords import Hotword, HotwordError
from tui_captions.asr.sherpa.model_dir import (
    BEAM,
    CTC_FAMILIES,
    GREEDY,
    INT8_SUFFIX,
    SherpaDir,
    read_sherpa_dir,
)
from tui_captions.asr.tokens import WORD_BOUNDARY, writing_of
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing
from tui_captions.errors import ComputeError, ModelError

SAMPLE_RATE = 16_000
FEATURE_SHIFT_S = 0.01  # sherpa-onnx's feature frames, before the encoder's subsampling
# sherpa-onnx reports token times of its generic transducer and CTC models in output
# frames of this many feature frames, whatever the model's own subsampling.
REPORTED_SUBSAMPLING = 4
# Silence decoded after the end of input so the last frames reach the encoder (its chunk
# with look-ahead) and the last word is emitted: sherpa-onnx's examples' tail, or two of the
# model's windows where they are longer (a window and a shift decode every frame heard).
FLUSH_SECONDS = 0.66
NEMO_FAMILIES = ("nemo_transducer", "nemo_ctc")


@dataclass(frozen=True)
class _Search:
    """What sherpa-onnx fixes per recognizer: the search, its width, the endpoint rule."""

    method: str
    paths: int
    endpoint_silence_s: float


@dataclass
class SherpaModel:
    """A sherpa-onnx model directory, prepared (the engine's :class:`AsrModel`): its
    recognizers are made on first use and shared by every stream decoding alike."""

    files: SherpaDir
    run: RunOptions
    format: StreamFormat
    flush_seconds: float
    writing: Writing
    languages: tuple[str, ...]
    pieces: tuple[str, ...]  # tokens.txt, by id
    _recognizers: dict[_Search, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def engine(self) -> str:
        return "ctc" if self.files.family in CTC_FAMILIES else "rnnt"

    @property
    def frame_seconds(self) -> float:
        """The duration of one encoder output frame: a token's time unit."""
        return FEATURE_SHIFT_S * _subsampling(self.files)

    @property
    def time_scale(self) -> float:
        """True time over what sherpa-onnx reports: it counts a CTC model's output frames
        as 4 feature frames, a NeMo CTC model's are 8."""
        if self.files.family == "nemo_ctc":
            return _subsampling(self.files) / REPORTED_SUBSAMPLING
        return 1.0

    def create_stream(self, options: DecodeOptions) -> SherpaStream:
        search = self._search(options)
        hotwords = self._hotwords(options.hotwords, search) if options.hotwords else None
        check_language(options.language, self.languages, str(self.files.directory))
        language = options.language and matching_language(options.language, self.languages)
        with self._lock:
            recognizer = self._recognizers.get(search)
            if recognizer is None:
                recognizer = self._recognizers[search] = self._recognizer(search)
        return SherpaStream(self, recognizer, options, hotwords, language)

    def _search(self, options: DecodeOptions) -> _Search:
        where = self.files.directory
        if options.lm is not None:
            raise ModelError(
                f"{where}: --lm names a language model for the wav2vec2 CTC beam decoder; "
                "sherpa-onnx models run without one: leave out --lm"
            )
        if options.beam < 1:
            raise ValueError("beam width must be at least 1")
        greedy_only = BEAM not in self.files.decoding_methods
        if greedy_only and options.decoder == "beam":
            raise ModelError(
                f"{where}: sherpa-onnx decodes a {self.files.family} model with its greedy "
                "search only: leave out --decoder beam"
            )
        beam = not greedy_only and options.decoder != "greedy"
        # Silence is counted in sherpa's reported frames: scaled back to true seconds.
        silence = options.endpoint_silence_s / self.time_scale
        return _Search(BEAM if beam else GREEDY, options.beam if beam else 1, silence)

    def _recognizer(self, search: _Search) -> Any:
        import sherpa_onnx

        files = self.files
        common: dict[str, Any] = {
            "tokens": str(files.tokens),
            "num_threads": self.run.threads,
            "sample_rate": SAMPLE_RATE,
            "feature_dim": files.feature_dim,
            "enable_endpoint_detection": True,
            # rule 1: nothing but silence for as long restarts; rule 2: text, then silence,
            # ends a line; rule 3 (any length) is ours, at a token: never sherpa-onnx's.
            "rule1_min_trailing_silence": search.endpoint_silence_s,
            "rule2_min_trailing_silence": search.endpoint_silence_s,
            "rule3_min_utterance_length": 1e9,
            "decoding_method": search.method,
        }
        if files.family == "nemo_ctc":
            return sherpa_onnx.OnlineRecognizer.from_nemo_ctc(model=str(files.model), **common)
        if files.family == "zipformer2_ctc":
            return sherpa_onnx.OnlineRecognizer.from_zipformer2_ctc(
                model=str(files.model), **common
            )
        return sherpa_onnx.OnlineRecognizer.from_transducer(
            encoder=str(files.encoder),
            decoder=str(files.decoder),
            joiner=str(files.joiner),
            max_active_paths=search.paths,
            modeling_unit=files.modeling_unit,
            bpe_vocab=str(files.bpe_vocab) if files.bpe_vocab else "",
            **common,
        )

    def _hotwords(self, hotwords: Sequence[Hotword], search: _Search) -> str:
        """The phrases as sherpa-onnx's per-stream contextual biasing reads them: one
        ``phrase :score`` a line (``/`` separates lines), in the model's case."""
        if problem := self.files.hotwords_problem():
            raise HotwordError(problem)
        if search.method == GREEDY:
            raise HotwordError(
                f"{self.files.directory}: hotwords bias the beam search, and --decoder greedy "
                "asks for the greedy one: leave out --decoder greedy, or run without --hotwords"
            )
        letters = {c for p in self.pieces for c in p if not (p.startswith("<") and p.endswith(">"))}
        lines = []
        for hotword in hotwords:
            phrase = hotword.phrase.upper() if self.writing.upper_case else hotword.phrase
            if "/" in phrase or any(word.startswith(":") for word in phrase.split()):
                raise HotwordError(
                    f"{hotword.origin}: {hotword.phrase!r} holds a '/' or a word that starts "
                    "with ':', which sherpa-onnx reads as separators; leave them out"
                )
            missing = sorted({c for c in phrase if not c.isspace() and c not in letters})
            if missing:
                raise HotwordError(
                    f"{hotword.origin}: this model cannot write {hotword.phrase!r} (it has "
                    f"no {' '.join(missing)}); leave that phrase out"
                )
            lines.append(f"{phrase} :{hotword.score:g}")
        return "/".join(lines)


class SherpaStream:
    """One source's sherpa-onnx stream over a shared recognizer (:class:`RecognizerStream`)."""

    def __init__(
        self,
        model: SherpaModel,
        recognizer: Any,
        options: DecodeOptions,
        hotwords: str | None,
        language: str | None,
    ) -> None:
        self._model = model
        self._recognizer = recognizer
        self.options = options
        self._hotwords = hotwords
        self._language = language
        self.format = model.format
        self._next_id = 0
        self.reset()

    def reset(self) -> None:
        """Forget all audio: a new sherpa stream, its time line starting at zero."""
        if self._hotwords is None:
            self._stream = self._recognizer.create_stream()
        else:
            self._stream = self._recognizer.create_stream(hotwords=self._hotwords)
        if self._language is not None:
            self._stream.set_option("language", self._language)
        self._fed = 0  # samples given to the sherpa stream
        self._chunks_seen = 0
        self._shift = 0.0  # session time of the sherpa stream's zero
        self._tokens = 0  # tokens of the open line when the last chunk was decoded
        self._partial = ""

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        """Decode one chunk; ``chunk_index`` places it on the session's time line."""
        started = time.perf_counter()
        chunk = np.asarray(samples, dtype=np.float32)
        if chunk.shape != (self.format.chunk_samples,):
            raise ValueError(f"expected {self.format.chunk_samples} samples, got {chunk.shape}")
        index = self._chunks_seen if chunk_index is None else chunk_index
        self._chunks_seen = index + 1
        self._shift = index * self.format.chunk_seconds - self._fed / SAMPLE_RATE
        finals = self._decode(chunk)
        return StepResult(self._partial, finals, (time.perf_counter() - started) * 1000.0)

    def finish(self) -> tuple[Segment, ...]:
        """End of input (or a quiet source): a little silence is decoded so the model's
        look-ahead sees past the last word, then the open line is final. The stream goes
        on: a quiet source may speak again."""
        if not self._fed:
            return ()
        flush = np.zeros(round(self._model.flush_seconds * SAMPLE_RATE), dtype=np.float32)
        finals = self._decode(flush)
        return finals + self._close()

    def _decode(self, samples: np.ndarray) -> tuple[Segment, ...]:
        recognizer, stream = self._recognizer, self._stream
        stream.accept_waveform(SAMPLE_RATE, samples)
        self._fed += len(samples)
        while recognizer.is_ready(stream):
            recognizer.decode_stream(stream)
        result = recognizer.get_result_all(stream)
        tokens = len(result.tokens)
        grown = tokens > self._tokens
        self._tokens = tokens
        if recognizer.is_endpoint(stream) or (grown and self._too_long(result)):
            return self._close()
        self._partial = _words(result.text)
        return ()

    def _too_long(self, result: Any) -> bool:
        times = result.timestamps
        return bool(times) and (times[-1] - times[0]) * self._model.time_scale >= (
            self.options.max_segment_s
        )

    def _close(self) -> tuple[Segment, ...]:
        """The open line as a final segment (none when it has no words); the search goes
        on from a new line."""
        recognizer, stream = self._recognizer, self._stream
        result = recognizer.get_result_all(stream)
        recognizer.reset(stream)
        self._tokens = 0
        self._partial = ""
        text = _words(result.text)
        if not text:
            return ()
        scale = self._model.time_scale
        origin = self._shift + result.start_time
        frame = self._model.frame_seconds
        starts = [origin + t * scale for t in result.timestamps]
        times = [(round(start, 3), round(start + frame, 3)) for start in starts]
        pieces: list[str] = list(result.tokens)
        timed: tuple[tuple[float, float], ...] = ()
        if times and len(times) == len(pieces):
            timed = word_times(range(len(pieces)), times, lambda ids: _joined(pieces, ids))
        start = times[0][0] if times else origin
        end = times[-1][1] if times else origin
        segment = Segment(self._next_id, start, end, text, word_times=timed)
        self._next_id += 1
        return (segment,)


def load_sherpa(directory: Path, run: RunOptions) -> SherpaModel:
    """Read and check a released sherpa-onnx model directory (``read_sherpa_dir`` refuses
    what would end the process); its recognizers are made when streams ask for them."""
    if run.compute != "cpu":
        raise ComputeError(
            f"{directory}: the installed sherpa-onnx runs on the CPU only (its PyPI build "
            "has no CUDA): use --compute cpu"
        )
    files = read_sherpa_dir(directory)
    # int8 or not is the directory's files (int8 preferred where both were released), not
    # --quantize: the session bar says which runs.
    int8 = any(path.name.endswith(INT8_SUFFIX) for path in files.onnx_files)
    run = dataclasses.replace(run, quantize="int8" if int8 else "none")
    symbols = files.symbols  # read and checked with the directory
    pieces = tuple(symbols.get(i, "") for i in range(max(symbols) + 1))
    # A multilingual model writes the language asked for: not known here.
    language = "" if files.languages else None
    nemo = files.family in NEMO_FAMILIES
    # The model's chunk shift and window (with look-ahead), in feature frames: the metadata
    # sherpa-onnx runs it by, positive integers (read_sherpa_dir checked them).
    shift = int(files.metadata["chunk_shift" if nemo else "decode_chunk_len"])
    window = int(files.metadata["window_size" if nemo else "T"])
    return SherpaModel(
        files,
        run,
        StreamFormat(SAMPLE_RATE, round(shift * FEATURE_SHIFT_S * SAMPLE_RATE)),
        max(FLUSH_SECONDS, 2 * window * FEATURE_SHIFT_S),
        writing_of(pieces, language),
        files.languages,
        pieces,
    )


def _subsampling(files: SherpaDir) -> int:
    """Feature frames per encoder output frame (read_sherpa_dir checked a NeMo model's)."""
    if files.family in NEMO_FAMILIES:
        return int(files.metadata["subsampling_factor"])
    return REPORTED_SUBSAMPLING


def _joined(pieces: Sequence[str], ids: Sequence[int]) -> str:
    return _words("".join(pieces[i] for i in ids).replace(WORD_BOUNDARY, " "))


def _words(text: str) -> str:
    return " ".join(text.split())
