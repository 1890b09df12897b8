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

from tui_captions.asr.defaults import DEFAULT_THREADS
from tui_captions.asr.model_dir import ModelFiles


def configure_threads(threads: int = DEFAULT_THREADS) -> None:
    torch.set_num_threads(max(1, threads))
    # Settable only before the first parallel op; later calls keep the first value.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


def prepare_model(files: ModelFiles, quantize: str = "none") -> ModelFiles:
    """The model as it will run: fp32, or with int8 dynamic quantization of Linear/LSTM.

    Dynamic int8 reads a quarter of the weight bytes per chunk, which is what
    bounds the encoder on a CPU (its fp32 weights are ~300 MB per chunk for the
    base model).
    """
    if quantize == "none":
        return files
    if quantize != "int8":
        raise ValueError(f"unknown quantization {quantize!r}")
    with warnings.catch_warnings():  # torch.ao's notice that the API is moving to torchao
        warnings.simplefilter("ignore")
        quantized = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            files.model, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8
        )
    return dataclasses.replace(files, model=quantized.eval())
