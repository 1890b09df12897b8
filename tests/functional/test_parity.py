"""Our recognizer against the reference (seed 000's algorithm) on the same model and audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from bench.reference_pipeline import ReferencePipeline
from tui_captions.asr.engine import DecodeOptions
from tui_captions.asr.model_dir import load_model_dir
from tui_captions.asr.recognizer import Recognizer
from tui_captions.asr.runtime import prepare_model
from tui_captions.audio.decode import decode_audio, fixed_chunks


@pytest.mark.parametrize(
    ("beam", "quantize"),
    [(1, "none"), (4, "none"), (10, "none"), (4, "int8"), (4, None)],
    ids=["beam1", "beam4", "beam10", "beam4-int8", "beam4-uncompiled"],
)
def test_text_equals_reference_chunk_by_chunk(
    random_model_dir: Path, speech_wav: Path, beam: int, quantize: str | None
) -> None:
    """Prepared models decode through the compiled search; ``None`` keeps torchaudio's."""
    files = load_model_dir(random_model_dir)
    if quantize is not None:
        files = prepare_model(files, quantize)
    config = files.config
    speech = np.concatenate(list(decode_audio(str(speech_wav), config.sample_rate)))
    # Speech repeated to ~6 s, with endpointing unable to trigger: the reference never cuts.
    audio = np.tile(speech, int(np.ceil(6.0 * config.sample_rate / speech.size)))
    chunks = list(fixed_chunks(iter([audio]), config.chunk_samples))
    ours = Recognizer(
        files, DecodeOptions(beam=beam, endpoint_silence_s=3600.0, max_segment_s=3600.0)
    )
    reference = ReferencePipeline(files, beam_width=beam)
    for index, chunk in enumerate(chunks):
        step = ours.accept(chunk)
        expected = reference.infer(torch.from_numpy(chunk)).strip()
        assert step.finals == (), f"an endpoint fired at chunk {index}: parity needs none"
        assert step.partial == expected, f"chunk {index} differs"
    (segment,) = ours.finish(flush=False)
    assert segment.text == expected
    assert len(expected.split()) >= 3, "the model must emit text for the comparison to mean much"
