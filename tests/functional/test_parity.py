"""Our recognizer against the reference (seed 000's algorithm) on the same model and audio."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.reference_pipeline import ReferencePipeline
from tests.conftest import MICRO_OVERRIDES
from tools.random_model import make_random_model
from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.emformer.runtime import compile_search, prepare_model
from tui_captions.asr.emformer.transducer import StreamingTransducer, TorchaudioTransducer
from tui_captions.asr.engine import DecodeOptions
from tui_captions.asr.runtime import place
from tui_captions.audio.decode import decode_audio, fixed_chunks


def speech_chunks(files: ModelFiles, speech_wav: Path, seconds: float = 6.0) -> list[np.ndarray]:
    config = files.config
    speech = np.concatenate(list(decode_audio(str(speech_wav), config.sample_rate)))
    audio = np.tile(speech, int(np.ceil(seconds * config.sample_rate / speech.size)))
    return list(fixed_chunks(iter([audio]), config.chunk_samples))


def assert_text_equals_reference(files: ModelFiles, speech_wav: Path, beam: int) -> None:
    # Speech repeated to ~6 s, with endpointing unable to trigger: the reference never cuts.
    ours = Recognizer(
        files, DecodeOptions(beam=beam, endpoint_silence_s=3600.0, max_segment_s=3600.0)
    )
    reference = ReferencePipeline(files, beam_width=beam)
    for index, chunk in enumerate(speech_chunks(files, speech_wav)):
        step = ours.accept(chunk)
        assert set(ours.stage_ms) == {"features", "encoder", "search"}
        assert 0 < sum(ours.stage_ms.values()) <= step.compute_ms
        expected = reference.infer(torch.from_numpy(chunk)).strip()
        assert step.finals == (), f"an endpoint fired at chunk {index}: parity needs none"
        assert step.partial == expected, f"chunk {index} differs"
    (segment,) = ours.finish(flush=False)
    assert segment.text == expected
    assert len(expected.split()) >= 3, "the model must emit text for the comparison to mean much"


@pytest.mark.parametrize(
    ("beam", "compiled"),
    [(1, True), (4, True), (10, True), (4, False)],
    ids=["beam1", "beam4", "beam10", "beam4-uncompiled"],
)
def test_text_equals_reference_chunk_by_chunk(
    random_model_dir: Path, speech_wav: Path, beam: int, compiled: bool
) -> None:
    """fp32 as stored: the compiled step as the app runs it, and the same module in Python."""
    files = load_model_dir(random_model_dir)
    if compiled:
        files = prepare_model(files, "none")
    assert_text_equals_reference(files, speech_wav, beam)


def test_a_model_with_a_memory_bank_runs_torchaudios_step(tmp_path: Path, speech_wav: Path) -> None:
    """The fast step serves models without memory; others get torchaudio's, compiled."""
    overrides = {**MICRO_OVERRIDES, "transformer_max_memory_size": 4}
    make_random_model(tmp_path / "memory", "small", blank_bias=1.0, seed=2, overrides=overrides)
    files = prepare_model(load_model_dir(tmp_path / "memory"), "none")
    assert files.search is not None and files.search.original_name == "TorchaudioTransducer"
    assert_text_equals_reference(files, speech_wav, beam=4)


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_encoder_step_equals_torchaudios_exactly(
    random_model_dir: Path, speech_wav: Path, quantize: str
) -> None:
    """Bit for bit, int8 too: the same ops on the same rows in the same order.

    (The int8 search may differ: its joiner quantizes a chunk's frames together,
    where torchaudio quantizes each frame's rows alone; the tiny model's int8 WER
    test holds its accuracy.)
    """
    files = load_model_dir(random_model_dir)
    model = place(files.model, quantize)
    ours = compile_search(dataclasses.replace(files, model=model))
    assert ours.original_name == StreamingTransducer.__name__
    torchaudio_step = TorchaudioTransducer(model, files.config.blank)
    features = FeatureExtractor(files.config, files.stats)
    context = torch.zeros(files.config.context_samples)
    our_state = reference_state = None
    with torch.inference_mode():
        for index, chunk in enumerate(speech_chunks(files, speech_wav, seconds=4.0)):
            samples = torch.cat((context, torch.from_numpy(chunk)))
            context = samples[-files.config.context_samples :]
            frames = features(samples)
            encoded, our_state = ours.encode(frames, our_state)
            expected, reference_state = torchaudio_step.encode(frames, reference_state)
            assert torch.equal(encoded, expected), f"chunk {index} differs"
