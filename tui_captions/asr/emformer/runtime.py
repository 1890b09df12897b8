"""The Emformer as it will run: placed, its weights as stored or int8, its step compiled."""

from __future__ import annotations

import dataclasses
import warnings

import torch

from tui_captions.asr.emformer.model_dir import ModelFiles
from tui_captions.asr.emformer.transducer import streaming_transducer
from tui_captions.asr.runtime import place


def prepare_model(files: ModelFiles, quantize: str = "none", compute: str = "cpu") -> ModelFiles:
    """The Emformer as it will run: placed, weights as stored or int8, compiled search."""
    prepared = dataclasses.replace(
        files, model=place(files.model, quantize, compute), quantize=quantize, compute=compute
    )
    return dataclasses.replace(prepared, search=compile_search(prepared))


def compile_search(files: ModelFiles) -> torch.jit.ScriptModule:
    """The model's streaming step (:mod:`.transducer`), compiled by TorchScript.

    Compiled, the Python between the ops is gone: with ~5 rows per matmul that
    dispatch was half of an int8 chunk. Compiling takes ~0.5 s of the base
    model's load. Run it under ``runtime.plain_executor()``.
    """
    with warnings.catch_warnings():  # TorchScript's notice that it is deprecated
        warnings.simplefilter("ignore")
        search: torch.jit.ScriptModule = torch.jit.script(
            streaming_transducer(files.model, files.config.blank)
        )
    return search
