"""Model directories: every broken or foreign file is refused with a message naming it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from tests.model_dirs import copy_model, edit_config
from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE
from tui_captions.asr.emformer.model_dir import (
    STATS_FILE,
    TOKENIZER_FILE,
    load_model_dir,
    read_config,
)
from tui_captions.errors import ModelError


@pytest.fixture
def model_copy(micro_model_dir: Path, tmp_path: Path) -> Path:
    return copy_model(micro_model_dir, tmp_path)


def test_a_written_directory_loads_back(micro_model_dir: Path) -> None:
    files = load_model_dir(micro_model_dir)
    assert files.config == read_config(micro_model_dir)
    assert files.config.chunk_samples == 2560
    assert files.config.context_samples == 640
    assert files.tokenizer.get_piece_size() == files.config.num_symbols - 1
    assert not files.model.training


@pytest.mark.parametrize("name", [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE, STATS_FILE])
def test_missing_file_is_named(model_copy: Path, name: str) -> None:
    (model_copy / name).unlink()
    with pytest.raises(ModelError, match=f"{name}: file is missing"):
        load_model_dir(model_copy)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a model directory"):
        load_model_dir(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(format="someone-else/model"), "not a captions-tui model directory"),
        (lambda c: c.update(version=2), "format version 2 is not supported"),
        (lambda c: c.update(sample_rate="16k"), "'sample_rate' must be an integer"),
        (lambda c: c.update(hop_length=0), "'hop_length' is out of range"),
        (lambda c: c.update(blank=10_000), "blank id 10000 is not below num_symbols"),
        (lambda c: c.update(n_mels=40), "model_kwargs.input_dim is 80 but must be 40"),
        (lambda c: c.update(model_kwargs=[1, 2]), "'model_kwargs' must be an object"),
        (lambda c: c["model_kwargs"].update(bogus=1), "do not describe a model"),
    ],
)
def test_invalid_config_is_refused(
    model_copy: Path, change: Callable[[dict[str, object]], None], message: str
) -> None:
    edit_config(model_copy, change)
    with pytest.raises(ModelError, match=message) as caught:
        load_model_dir(model_copy)
    assert CONFIG_FILE in str(caught.value)


def test_malformed_json_is_named(model_copy: Path) -> None:
    (model_copy / CONFIG_FILE).write_text("{not json")
    with pytest.raises(ModelError, match=f"{CONFIG_FILE}: not valid JSON"):
        load_model_dir(model_copy)


def test_stats_of_the_wrong_length(model_copy: Path) -> None:
    (model_copy / STATS_FILE).write_text(json.dumps({"mean": [0.0] * 3, "invstddev": [1.0] * 3}))
    with pytest.raises(ModelError, match=f"{STATS_FILE}: 'mean' must be a list of 80"):
        load_model_dir(model_copy)


def test_garbage_tokenizer(model_copy: Path) -> None:
    (model_copy / TOKENIZER_FILE).write_bytes(b"\x00garbage")
    with pytest.raises(ModelError, match=f"{TOKENIZER_FILE}: not a sentencepiece model"):
        load_model_dir(model_copy)


def test_tokenizer_smaller_than_the_output_layer(model_copy: Path) -> None:
    edit_config(
        model_copy, lambda c: (c["model_kwargs"].update(num_symbols=1001), c.update(blank=1000))
    )
    with pytest.raises(ModelError, match="has 256 pieces but the model emits token ids up to 999"):
        load_model_dir(model_copy)


def test_garbage_weights(model_copy: Path) -> None:
    (model_copy / WEIGHTS_FILE).write_bytes(b"not a zip file at all")
    with pytest.raises(ModelError, match=f"{WEIGHTS_FILE}: not a readable weights file"):
        load_model_dir(model_copy)


def test_weights_of_another_architecture(model_copy: Path) -> None:
    edit_config(model_copy, lambda c: c["model_kwargs"].update(transformer_num_layers=3))
    with pytest.raises(ModelError, match="weights do not match the architecture"):
        load_model_dir(model_copy)


class _RunsCodeWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))


def test_weights_that_would_run_code_are_refused(model_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    torch.save({"payload": _RunsCodeWhenUnpickled(marker)}, model_copy / WEIGHTS_FILE)
    with pytest.raises(ModelError, match=WEIGHTS_FILE):
        load_model_dir(model_copy)
    assert not marker.exists()


def test_fp16_weights_load_as_float(model_copy: Path) -> None:
    state = torch.load(model_copy / WEIGHTS_FILE, weights_only=True)
    torch.save({k: v.half() for k, v in state.items()}, model_copy / WEIGHTS_FILE)
    files = load_model_dir(model_copy)
    assert all(p.dtype == torch.float32 for p in files.model.parameters())
