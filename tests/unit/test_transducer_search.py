"""The compiled search's edge: what crosses it, and what that costs per chunk."""

from __future__ import annotations

from pathlib import Path

import torch

from tui_captions.asr.emformer.model_dir import load_model_dir
from tui_captions.asr.emformer.runtime import compile_search
from tui_captions.asr.transducer_search import named


def test_hypotheses_leave_the_compiled_search_as_plain_tuples(micro_model_dir: Path) -> None:
    """TorchScript hands Python each NamedTuple as an instance of a class it makes anew: four
    hypotheses a chunk cost 1 ms of a 5 ms chunk. Plain tuples, named on our side, do not."""
    files = load_model_dir(micro_model_dir)
    search = compile_search(files)
    features = torch.zeros(search.frames, files.config.n_mels)  # one chunk's, silent
    with torch.inference_mode(), torch.jit.optimized_execution(False):  # type: ignore[attr-defined]
        encoded, _ = search.encode(features, None)
        hypotheses = search.search(encoded, None, 4)
        again = search.search(encoded, hypotheses, 4)  # and they go back in as they came out
    assert {type(h) for h in hypotheses + again} == {tuple}
    assert named(again[0]).tokens[0] == files.config.blank
