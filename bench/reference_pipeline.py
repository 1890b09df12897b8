"""The reference: seed 000's streaming algorithm, on torchaudio's own pipeline classes.

It is what the tutorial does every chunk (context cacher, the bundle's
streaming feature extractor, ``RNNTBeamSearch.infer`` with the list of
hypotheses, the bundle's token processor over the *whole* best hypothesis),
fixed only where torchaudio 2.x changed the API. Parity tests and benchmarks
compare the product against it on the same model directory.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torchaudio
from torchaudio.models import RNNTBeamSearch
from torchaudio.pipelines import rnnt_pipeline

from tui_captions.asr.emformer.model_dir import STATS_FILE, TOKENIZER_FILE, ModelFiles


class ReferencePipeline:
    def __init__(self, files: ModelFiles, beam_width: int = 10) -> None:
        config = files.config
        directory = Path(files.directory)
        self.feature_extractor = rnnt_pipeline._ModuleFeatureExtractor(
            torch.nn.Sequential(
                torchaudio.transforms.MelSpectrogram(
                    sample_rate=config.sample_rate,
                    n_fft=config.n_fft,
                    n_mels=config.n_mels,
                    hop_length=config.hop_length,
                ),
                rnnt_pipeline._FunctionalModule(lambda x: x.transpose(1, 0)),
                rnnt_pipeline._FunctionalModule(
                    lambda x: rnnt_pipeline._piecewise_linear_log(x * rnnt_pipeline._gain)
                ),
                rnnt_pipeline._GlobalStatsNormalization(str(directory / STATS_FILE)),
            )
        )
        self.decoder = RNNTBeamSearch(files.model, config.blank)
        self.token_processor = rnnt_pipeline._SentencePieceTokenProcessor(
            str(directory / TOKENIZER_FILE)
        )
        self.beam_width = beam_width
        self.state = None
        self.hypotheses = None
        self.context = torch.zeros(config.context_samples)
        self.segment_length = config.chunk_samples
        self.stage_ms: dict[str, float] = {}  # the last chunk's time per stage

    @torch.inference_mode()
    def infer(self, chunk: torch.Tensor) -> str:
        """One chunk; returns the transcript of the whole session so far, as the seed prints it.

        ``decoder.infer`` is called as its two halves (the encoder's streaming step,
        then the search), which is all it does, so that ``stage_ms`` can time each.
        """
        started = time.perf_counter()
        if chunk.size(0) < self.segment_length:
            chunk = torch.nn.functional.pad(chunk, (0, self.segment_length - chunk.size(0)))
        segment = torch.cat((self.context, chunk))
        self.context = chunk[-self.context.size(0) :]
        features, length = self.feature_extractor(segment)
        featured = time.perf_counter()
        encoded, _, self.state = self.decoder.model.transcribe_streaming(
            features.unsqueeze(0), length, self.state
        )
        encoded_at = time.perf_counter()
        self.hypotheses = self.decoder._search(encoded, self.hypotheses, self.beam_width)
        self.stage_ms = {
            "features": (featured - started) * 1000.0,
            "encoder": (encoded_at - featured) * 1000.0,
            "search": (time.perf_counter() - encoded_at) * 1000.0,
        }
        return str(self.token_processor(self.hypotheses[0][0], lstrip=False))


class GreedyCTCDecoder(torch.nn.Module):
    """Seed 003's decoder as written there: best label per frame, repeats merged, blanks out."""

    def __init__(self, labels: Sequence[str], blank: int = 0) -> None:
        super().__init__()
        self.labels = labels
        self.blank = blank

    def forward(self, emission: torch.Tensor) -> str:
        indices = torch.argmax(emission, dim=-1)
        indices = torch.unique_consecutive(indices, dim=-1)
        return "".join(self.labels[i] for i in indices if i != self.blank)


@torch.inference_mode()
def reference_ctc_transcript(
    model: torch.nn.Module, labels: Sequence[str], blank: int, waveform: torch.Tensor
) -> str:
    """Seeds 002/003's pipeline on a whole clip: model -> emissions -> greedy decoder,
    then ``|`` read as spaces (seed 002's last step)."""
    emission, _ = model(waveform[None])
    return str(GreedyCTCDecoder(labels, blank)(emission[0])).replace("|", " ").strip()
