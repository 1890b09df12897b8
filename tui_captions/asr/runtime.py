"""Torch thread policy and load-time model preparation.

One intra-op thread by default: on a 2-core machine, two torch threads beside
another busy process made a small model ~60x slower per chunk than one (9 ms
-> 540 ms), while one thread keeps latency bounded; the chunks are too small
for more threads to pay off.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings

import torch
from torchaudio.models import RNNTBeamSearch

from tui_captions.asr.defaults import DEFAULT_BEAM, DEFAULT_THREADS, QUANTIZE_MODES
from tui_captions.asr.features import FeatureExtractor
from tui_captions.asr.model_dir import ModelFiles

# Calls TorchScript's profiling executor makes before it runs the optimised graph.
_WARM_UP_CHUNKS = 3


def configure_threads(threads: int = DEFAULT_THREADS) -> None:
    torch.set_num_threads(max(1, threads))
    # Settable only before the first parallel op; later calls keep the first value.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


def prepare_model(files: ModelFiles, quantize: str = "none") -> ModelFiles:
    """The model as it will run: weights as stored or int8, and a compiled beam search.

    Dynamic int8 (Linear/LSTM) reads a quarter of the weight bytes per chunk,
    which is what bounds the encoder on a CPU (its fp32 weights are ~300 MB
    per chunk for the base model).
    """
    if quantize not in QUANTIZE_MODES:
        raise ValueError(f"unknown quantization {quantize!r}")
    model = files.model
    if quantize == "int8":
        with warnings.catch_warnings():  # torch.ao's notice that the API is moving to torchao
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8
            ).eval()
    prepared = dataclasses.replace(files, model=model)
    return dataclasses.replace(prepared, search=compile_search(prepared))


def compile_search(files: ModelFiles) -> torch.jit.ScriptModule:
    """torchaudio's beam search and model, compiled by TorchScript and warmed up.

    The same ops in the same order (the parity tests hold it to the reference's
    text chunk by chunk), minus the Python between them: with ~6 rows per
    matmul that dispatch was half of a chunk (base model, int8 encoder: 15 ms
    -> 7.5 ms). TorchScript profiles its first calls (~150 ms each), so they
    run here on silence instead of on the user's first words.
    """
    with warnings.catch_warnings():  # TorchScript's notice that it is deprecated
        warnings.simplefilter("ignore")
        search: torch.jit.ScriptModule = torch.jit.script(
            RNNTBeamSearch(files.model, files.config.blank)
        )
    config = files.config
    silence = torch.zeros(config.context_samples + config.chunk_samples)
    with torch.inference_mode():
        features = FeatureExtractor(config, files.stats)(silence)
        length = torch.tensor([features.shape[0]])
        hypotheses, state = None, None
        for _ in range(_WARM_UP_CHUNKS):
            hypotheses, state = search.infer(features, length, DEFAULT_BEAM, state, hypotheses)
    return search
