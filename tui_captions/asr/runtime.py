"""What the torch engines run under: the torch thread policy (each applies it as it loads,
so that sherpa-onnx's engine, which gets its threads in its own config, never imports
torch), placement (and int8), and the plain TorchScript executor.

One intra-op thread by default: on a 2-core machine, two torch threads beside
another busy process made a small model ~60x slower per chunk than one (9 ms
-> 540 ms), while one thread keeps latency bounded; the chunks are too small
for more threads to pay off.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import TypeVar

import torch

from tui_captions.asr.defaults import DEFAULT_THREADS, QUANTIZE_MODES
from tui_captions.errors import ComputeError


def configure_threads(threads: int = DEFAULT_THREADS) -> None:
    torch.set_num_threads(max(1, threads))
    # Settable only before the first parallel op; later calls keep the first value.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)


def place(model: ModuleT, quantize: str = "none", compute: str = "cpu") -> ModuleT:
    """Any engine's model on its device, with weights as stored or dynamic int8.

    Dynamic int8 (Linear/LSTM) reads a quarter of the weight bytes per chunk,
    which is what bounds the encoder on a CPU (the Emformer base model's fp32
    weights are ~300 MB per chunk).
    """
    if quantize not in QUANTIZE_MODES:
        raise ValueError(f"unknown quantization {quantize!r}")
    if compute == "cuda":
        if not torch.cuda.is_available():
            raise ComputeError(
                "--compute cuda: torch sees no CUDA device (torch.cuda.is_available() is "
                "False); use --compute cpu, or a CUDA build of torch with a working driver"
            )
        if quantize == "int8":
            raise ComputeError(
                "int8 quantization runs on the CPU only: with --compute cuda use "
                "--quantize none (or remove quantize from settings.toml)"
            )
    elif compute != "cpu":
        raise ValueError(f"unknown compute device {compute!r}")
    placed = model.to(compute)
    if quantize != "int8":
        return placed
    with warnings.catch_warnings():  # torch.ao's notice that the API is moving to torchao
        warnings.simplefilter("ignore")
        quantized: ModuleT = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            placed, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8
        )
    return quantized.eval()


def plain_executor() -> contextlib.AbstractContextManager[None]:
    """TorchScript's plain interpreter for the calls in this thread.

    The optimising executor profiles and re-specialises whenever shapes change
    (the first two base-model chunks took ~0.7 s each) and was no faster per
    chunk afterwards (fp32 47 vs 50 ms, int8 8.9 vs 9.3 ms).
    """
    return torch.jit.optimized_execution(False)  # type: ignore[attr-defined]  # public, unlisted
