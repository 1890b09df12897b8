"""The audio-visual engine: seed 001's device AV-ASR model behind the engine seam.

The model reads windows of 32 new video frames (30 a second, 640 samples of
19.2 kHz audio each) plus the last 4 of the window before (the seed's
context cacher): audio ``(1, 36 * 640, 1)`` and face crops ``(1, 36, 1, 44,
44)``, normalised as the seed does (``/255``, then ``(x - 0.421) / 0.165``), to
features ``(1, 36, 512)`` that its RNN-T (``model.model``) decodes with a beam
of 10. As the seed does, each window starts from a fresh state and a fresh
hypothesis; its text follows the window before's in the open line, and a
window that adds nothing counts as a pause for the endpoint. A model trained
to run as a stream (``captions-tui.json``: ``{"window_state": "carry"}``)
instead carries its encoder state and hypotheses from window to window, as
the Emformer engine does with its chunks: the seed's windows are already a
stream's segments (32 frames, the next 4 as look-ahead). A frame without
a face crop (none found yet, ``--video off``, an audio-only input) is blank:
zeros where the crop would be, a black crop, as the seed's cacher starts with.

A model directory is the two files the tutorial downloads, under its names:
``device_avsr_model.pt`` (TorchScript: code, loaded only from the catalog or a
directory the user names) and ``spm_unigram_1023.model``, with the
``config.json`` the catalog's download adds to declare the format; a
directory of the two files alone is recognised by them (``registry.engine_for``).
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch

from tui_captions.asr.avsr.model_dir import FORMAT, HINTS_FILE, MODEL_FILE, TOKENIZER_FILE, VERSION
from tui_captions.asr.directory import CONFIG_FILE, config_object, read_json
from tui_captions.asr.endpointing import SegmentTracker
from tui_captions.asr.engine import DecodeOptions, RunOptions, StepResult, StreamFormat
from tui_captions.asr.hotwords import HotwordError
from tui_captions.asr.runtime import configure_threads, plain_executor
from tui_captions.asr.tokens import Detokenizer
from tui_captions.asr.transducer_search import CarriedHypothesis, TransducerSearch, best_tokens
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing
from tui_captions.errors import ComputeError, ModelError

SAMPLE_RATE = 19_200
FPS = 30
WINDOW_FRAMES = 32  # new frames a window
CONTEXT_FRAMES = 4  # the window before's last frames, read again (the seed's cacher)
CROP = 44
MEAN, STD = 0.421, 0.165
DEFAULT_AV_BEAM = 10  # the seed's
AV_FORMAT = StreamFormat(SAMPLE_RATE, WINDOW_FRAMES * SAMPLE_RATE // FPS, FPS, CROP)


class _Windows(torch.nn.Module):
    """The RNN-T's encoder step over one window, then the search: compiled."""

    def __init__(self, rnnt: torch.nn.Module, blank: int) -> None:
        super().__init__()
        self.rnnt = rnnt
        self.searcher = TransducerSearch(rnnt, blank)

    def forward(
        self,
        features: torch.Tensor,
        beam: int,
        state: list[list[torch.Tensor]] | None,
        hypotheses: list[CarriedHypothesis] | None,
    ) -> tuple[list[list[torch.Tensor]], list[CarriedHypothesis]]:
        length = torch.tensor([features.size(1)], device=features.device)
        encoded, _, state = self.rnnt.transcribe_streaming(features, length, state)  # type: ignore[operator]
        return state, self.searcher(encoded, hypotheses, beam, None)


@dataclass(frozen=True)
class AvsrEngine:
    """A loaded AV model (the engine's :class:`AsrModel`): one per process, shared."""

    directory: Path
    frontend: torch.jit.ScriptModule  # (audio, video) -> features
    windows: torch.jit.ScriptModule  # features -> a window's tokens
    tokenizer: spm.SentencePieceProcessor
    run: RunOptions
    carry: bool = False  # the state goes on from window to window (else each starts afresh)

    @property
    def format(self) -> StreamFormat:
        return AV_FORMAT

    @property
    def engine(self) -> str:
        return "av-rnnt"

    @property
    def languages(self) -> tuple[str, ...]:
        return ()

    @property
    def writing(self) -> Writing:
        return Writing()  # LRS3's lower-case word pieces

    def create_stream(self, options: DecodeOptions) -> AvsrStream:
        if options.decoder is not None or options.lm is not None:
            raise ModelError(
                f"{self.directory}: --decoder and --lm choose a CTC model's decoder; this is "
                "an audio-visual RNN-T, whose search is a beam search (width: --beam)"
            )
        if options.hotwords:
            raise HotwordError(
                f"{self.directory}: hotwords are not supported by the audio-visual engine "
                "yet; run it without --hotwords"
            )
        return AvsrStream(self, options)


class AvsrStream:
    """One source's windows over a shared :class:`AvsrEngine`."""

    def __init__(self, engine: AvsrEngine, options: DecodeOptions) -> None:
        self._engine = engine
        self.options = options
        self._tracker = SegmentTracker(
            AV_FORMAT.chunk_seconds,
            Detokenizer(engine.tokenizer),
            options.endpoint_silence_s,
            options.max_segment_s,
        )
        self.reset()

    @property
    def format(self) -> StreamFormat:
        return AV_FORMAT

    def reset(self) -> None:
        self._audio = np.zeros(CONTEXT_FRAMES * SAMPLE_RATE // FPS, dtype=np.float32)
        self._video = normalised(None)[:CONTEXT_FRAMES]  # the seed's cacher: black frames
        self._tokens: list[int] = []
        self._state: list[list[torch.Tensor]] | None = None
        self._hypotheses: list[CarriedHypothesis] | None = None
        self._chunks_seen = 0
        self._tracker.reset()

    @torch.inference_mode()
    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        """One window: 32 frames of audio and their crops (None, or all-zero crops: blank)."""
        started = time.perf_counter()
        if samples.shape != (AV_FORMAT.chunk_samples,):
            raise ValueError(f"expected {AV_FORMAT.chunk_samples} samples, got {samples.shape}")
        index = self._chunks_seen if chunk_index is None else chunk_index
        self._chunks_seen = index + 1
        crops = normalised(video if self.options.video else None)
        audio = np.concatenate([self._audio, samples.astype(np.float32, copy=False)])
        frames = np.concatenate([self._video, crops])
        self._audio = audio[-len(self._audio) :]
        self._video = frames[-CONTEXT_FRAMES:]
        features = self._engine.frontend(
            torch.from_numpy(audio).view(1, -1, 1),
            torch.from_numpy(frames).view(1, -1, 1, CROP, CROP),
        )
        carry = self._engine.carry
        with plain_executor():
            state, hypotheses = self._engine.windows(
                features, self.options.beam, self._state if carry else None, self._hypotheses
            )
        if carry:  # the line's text is the best hypothesis since it began
            self._state, self._hypotheses = state, hypotheses
            self._tokens = best_tokens(hypotheses)
        else:  # the seed's way: each window's text follows the one before's
            self._tokens = self._tokens + best_tokens(hypotheses)
        finals = self._close() if self._tracker.update(self._tokens, index) else ()
        return StepResult(self._tracker.partial, finals, (time.perf_counter() - started) * 1000.0)

    def finish(self) -> tuple[Segment, ...]:
        return self._close()

    def _close(self) -> tuple[Segment, ...]:
        self._tokens, self._hypotheses = [], None
        return self._tracker.close()


def normalised(video: np.ndarray | None) -> np.ndarray:
    """Crops ``(32, 44, 44)`` uint8 -> the model's values, as the seed normalises them;
    no crops (None) are black ones, as the seed's cacher starts with."""
    crops = np.zeros((WINDOW_FRAMES, CROP, CROP), np.uint8) if video is None else video
    return (crops.astype(np.float32) / 255.0 - MEAN) / STD


def load_avsr(directory: Path, run: RunOptions) -> AvsrEngine:
    """The tutorial's two files: the TorchScript model and its sentencepiece model."""
    configure_threads(run.threads)
    if run.quantize == "int8":
        run = RunOptions(run.threads, "none", run.compute)  # a TorchScript file: as stored
    if run.compute != "cpu":
        raise ComputeError("the audio-visual engine runs on the CPU only: use --compute cpu")
    if (directory / CONFIG_FILE).exists():  # the two files alone need none
        config_object(read_json(directory / CONFIG_FILE), directory / CONFIG_FILE, FORMAT, VERSION)
    model_path, tokenizer_path = directory / MODEL_FILE, directory / TOKENIZER_FILE
    try:
        tokenizer = spm.SentencePieceProcessor(model_file=str(tokenizer_path))
    except (RuntimeError, OSError) as exc:
        raise ModelError(f"{tokenizer_path}: not a sentencepiece model ({exc})") from None
    with warnings.catch_warnings():  # TorchScript's notice that it is deprecated
        warnings.simplefilter("ignore")
        try:
            loaded = torch.jit.load(str(model_path), map_location="cpu")  # type: ignore[no-untyped-call]
            frontend = loaded.float().eval()  # weights stored as fp16 run as fp32
            rnnt = frontend.model
        except Exception as exc:  # torch raises many types for corrupt files
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{model_path}: not the device AV-ASR model ({reason})") from None
        windows = torch.jit.script(_Windows(rnnt, tokenizer.get_piece_size()))
    engine = AvsrEngine(directory, frontend, windows, tokenizer, run, _carries(directory))
    _check(engine, model_path)
    return engine


def _carries(directory: Path) -> bool:
    """Whether the model was trained to carry its state across windows: a model trained here
    says so in ``captions-tui.json`` beside the two files (the device model has none)."""
    path = directory / HINTS_FILE
    if not path.is_file():
        return False
    try:
        hints = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None
    window_state = hints.get("window_state", "reset") if isinstance(hints, dict) else None
    if window_state not in ("reset", "carry"):
        raise ModelError(f'{path}: \'window_state\' must be "reset" or "carry"')
    return bool(window_state == "carry")


def _check(engine: AvsrEngine, path: Path) -> None:
    """One blank window through the model: a file with another interface fails here."""
    try:
        with torch.inference_mode():
            features = engine.frontend(
                torch.zeros(1, (WINDOW_FRAMES + CONTEXT_FRAMES) * SAMPLE_RATE // FPS, 1),
                torch.zeros(1, WINDOW_FRAMES + CONTEXT_FRAMES, 1, CROP, CROP),
            )
            with plain_executor():
                engine.windows(features, 1, None, None)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not the device AV-ASR model's interface ({reason})") from None
