"""The tiny speaker model in sherpa-onnx's extractor, and bad models as one error each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tests.speaker_audio import TINY_SPEAKERS
from tools.tiny_speakers.conversations import distinct_speakers
from tools.tiny_speakers.voices import SAMPLE_RATE, say, sentences
from tui_captions.errors import ModelError
from tui_captions.speakers.embedding import SpeakerEmbedder, check_embedding_model

GOOD_METADATA = {
    "framework": "wespeaker",
    "language": "English",
    "output_dim": "80",
    "sample_rate": "16000",
    "normalize_samples": "1",
}


def test_the_tiny_model_loads_in_sherpa_onnx_and_tells_held_out_voices_apart() -> None:
    embedder = SpeakerEmbedder(TINY_SPEAKERS)
    assert embedder.dim == embedder.info.dim == 128
    first, second = distinct_speakers(2, seed=3)
    texts = sentences(4, seed=4242)
    a1, a2 = (embedder.embed(say(first, t), SAMPLE_RATE) for t in texts[:2])
    b1, b2 = (embedder.embed(say(second, t), SAMPLE_RATE) for t in texts[2:])
    assert np.linalg.norm(a1) == pytest.approx(1.0, abs=1e-5)
    same = min(float(a1 @ a2), float(b1 @ b2))
    different = max(float(a1 @ b1), float(a1 @ b2), float(a2 @ b1), float(a2 @ b2))
    assert same > different + 0.2, (same, different)


def test_a_directory_holding_the_model_is_accepted() -> None:
    assert check_embedding_model(TINY_SPEAKERS.parent).path == TINY_SPEAKERS


def tiny_graph(path: Path, metadata: dict[str, str], feature_dim: int = 80) -> Path:
    """A mean over time standing in for a speaker model, with the metadata given."""
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)],
        "speaker",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "T", feature_dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", feature_dim])],
        [helper.make_tensor("axes", TensorProto.INT64, [1], [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    helper.set_model_props(model, metadata)
    onnx.save(model, str(path))
    return path


def test_a_graph_with_the_contract_passes_the_check_and_runs_in_sherpa_onnx(tmp_path: Path) -> None:
    embedder = SpeakerEmbedder(tiny_graph(tmp_path / "m.onnx", GOOD_METADATA, feature_dim=80))
    assert (embedder.info.framework, embedder.info.sample_rate) == ("wespeaker", 16000)
    assert embedder.embed(np.full(SAMPLE_RATE, 0.1, dtype=np.float32), SAMPLE_RATE).shape == (80,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"framework": None}, "metadata lacks framework"),
        ({"output_dim": None, "sample_rate": None}, "metadata lacks output_dim, sample_rate"),
        ({"framework": "nemo"}, "framework 'nemo' is not one this app runs"),
        ({"language": ""}, "metadata lacks language"),
        ({"output_dim": "-1"}, "output_dim=-1 must be 0 or more"),
        ({"sample_rate": str(2**31)}, "sample_rate='2147483648' is not an integer"),
        ({"normalize_samples": "yes"}, "normalize_samples='yes' is not an integer"),
        ({"feature_normalize_type": "global-var"}, "feature_normalize_type 'global-var'"),
    ],
)
def test_metadata_sherpa_onnx_would_exit_on_is_one_model_error(
    tmp_path: Path, change: dict[str, str | None], message: str
) -> None:
    metadata = {k: v for k, v in {**GOOD_METADATA, **change}.items() if v is not None}
    path = tiny_graph(tmp_path / "m.onnx", metadata)
    # the check alone: sherpa-onnx would end this process on such a file
    with pytest.raises(ModelError, match=f"^{path}: .*{message}") as refused:
        check_embedding_model(path)
    assert "\n" not in str(refused.value)


def test_a_graph_of_other_features_is_one_model_error(tmp_path: Path) -> None:
    path = tiny_graph(tmp_path / "m.onnx", GOOD_METADATA, feature_dim=40)
    with pytest.raises(ModelError, match="takes one \\(batch, frames, 80\\) input"):
        SpeakerEmbedder(path)


@pytest.mark.parametrize("content", [b"", b"not onnx at all", None])
def test_a_missing_or_damaged_file_is_one_model_error(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "speaker.onnx"
    if content is None:
        message = "no such speaker-embedding model"
    else:
        path.write_bytes(content)
        message = "download the model again"
    with pytest.raises(ModelError, match=message):
        SpeakerEmbedder(path)


def test_a_truncated_copy_of_the_real_model_is_one_model_error(tmp_path: Path) -> None:
    path = tmp_path / "speaker.onnx"
    path.write_bytes(TINY_SPEAKERS.read_bytes()[: TINY_SPEAKERS.stat().st_size // 2])
    with pytest.raises(ModelError, match="not a whole ONNX model"):
        SpeakerEmbedder(path)


def test_a_directory_of_several_models_asks_for_the_file(tmp_path: Path) -> None:
    tiny_graph(tmp_path / "a.onnx", GOOD_METADATA)
    tiny_graph(tmp_path / "b.onnx", GOOD_METADATA)
    with pytest.raises(ModelError, match=r"holds one \.onnx file \(found 2\)"):
        SpeakerEmbedder(tmp_path)
