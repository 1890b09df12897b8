"""What the seam's Raises sections say, held against the four engines as they load and run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tui_captions.asr.engine import AsrModel, DecodeOptions, RunOptions
from tui_captions.asr.hotwords import Hotword, HotwordError
from tui_captions.asr.registry import engine_for
from tui_captions.asr.runtime import configure_threads
from tui_captions.asr.sherpa.engine import SherpaModel
from tui_captions.errors import ComputeError, ModelError

CPU = RunOptions(1, "none", "cpu")
ENGINE_DIRS = ("micro_model_dir", "wav2vec2_model_dir", "random_av_dir", "sherpa_lstm_dir")


@pytest.fixture(scope="module", params=ENGINE_DIRS)
def model_dir(request: pytest.FixtureRequest) -> Path:
    directory: Path = request.getfixturevalue(request.param)
    return directory


@pytest.fixture(scope="module")
def model(model_dir: Path) -> AsrModel:
    return engine_for(model_dir)(model_dir, CPU)


def test_a_chunk_of_another_size_is_a_value_error(model: AsrModel) -> None:
    stream = model.create_stream(DecodeOptions())
    with pytest.raises(ValueError, match="samples"):
        stream.accept(np.zeros(model.format.chunk_samples + 1, dtype=np.float32))


def test_hotwords_a_model_cannot_use_are_a_hotword_error(model: AsrModel) -> None:
    """CTC and audio-visual have no biasing; the Emformer's refuses what it cannot write."""
    unwritable = (Hotword("\u4e2d\u6587", 3.0),)
    with pytest.raises(HotwordError):
        model.create_stream(DecodeOptions(hotwords=unwritable))


def test_a_decoder_choice_on_an_rnnt_is_a_model_error(model: AsrModel) -> None:
    if model.engine == "ctc":
        pytest.skip("a CTC model's decoder is the one choice there is")
    if isinstance(model, SherpaModel):
        pytest.skip("sherpa-onnx's transducers have both searches (test_sherpa_engine.py)")
    with pytest.raises(ModelError, match="--decoder and --lm choose a CTC model's decoder"):
        model.create_stream(DecodeOptions(decoder="greedy"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="refused only where torch sees no CUDA")
def test_a_device_torch_does_not_see_is_a_compute_error(model_dir: Path) -> None:
    """(sherpa-onnx's PyPI build runs on the CPU only: it refuses CUDA everywhere.)"""
    with pytest.raises(ComputeError):
        engine_for(model_dir)(model_dir, RunOptions(1, "none", "cuda"))


def test_threads_reach_torch_through_the_engines_that_use_it(model_dir: Path) -> None:
    """A torch engine applies torch's thread policy as it loads; sherpa-onnx takes --threads
    in its own config and leaves torch's (it never imports torch) as it was."""
    try:
        loaded = engine_for(model_dir)(model_dir, RunOptions(3, "none", "cpu"))
        assert torch.get_num_threads() == (1 if isinstance(loaded, SherpaModel) else 3)
    finally:
        configure_threads()  # the tests' one thread (conftest)
