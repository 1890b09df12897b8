"""Speaker embeddings through sherpa-onnx's extractor (WeSpeaker and 3D-Speaker contracts).

sherpa-onnx ends the whole process (``_Exit``) on a model whose metadata it cannot
read (``speaker-embedding-extractor-model.cc``), so the file's header (metadata and
inputs, no weights) is read first and every key the extractor reads is checked here: a
bad file is one :class:`ModelError`, never a dead process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui_captions.core.onnx_header import metadata_int, read_onnx_header
from tui_captions.errors import ModelError

FRAMEWORKS = ("wespeaker", "3d-speaker")
INTEGER_KEYS = ("output_dim", "sample_rate", "normalize_samples")
STRING_KEYS = ("language", "framework")
FEATURE_NORMALIZATIONS = ("", "global-mean")
FEATURE_DIM = 80
# The extractor's fbank frames are 25 ms long: shorter audio gives no frame at all.
MIN_SAMPLES_S = 0.05


@dataclass(frozen=True)
class EmbeddingModelInfo:
    """What the model's metadata says, checked."""

    path: Path
    framework: str
    dim: int
    sample_rate: int


def check_embedding_model(path: Path) -> EmbeddingModelInfo:
    """The model's contract as sherpa-onnx reads it, or one ModelError saying what is wrong."""
    if path.is_dir():
        candidates = sorted(path.glob("*.onnx"))
        if len(candidates) != 1:
            raise ModelError(
                f"{path}: a speaker model directory holds one .onnx file "
                f"(found {len(candidates)}); pass the file itself"
            )
        path = candidates[0]
    if not path.is_file():
        raise ModelError(f"{path}: no such speaker-embedding model; pass an .onnx file")
    header = read_onnx_header(path)
    metadata = header.metadata
    # SHERPA_ONNX_READ_META_DATA_STR ends the process on an empty value as on a missing one
    missing = [key for key in (*INTEGER_KEYS, *STRING_KEYS) if not metadata.get(key)]
    if missing:
        raise ModelError(
            f"{path}: not a speaker-embedding model sherpa-onnx reads "
            f"(metadata lacks {', '.join(missing)})"
        )
    framework = metadata["framework"]
    if framework not in FRAMEWORKS:
        raise ModelError(
            f"{path}: framework {framework!r} is not one this app runs ({', '.join(FRAMEWORKS)})"
        )
    numbers = {key: metadata_int(header, key, positive=False) for key in INTEGER_KEYS}
    if metadata.get("feature_normalize_type", "") not in FEATURE_NORMALIZATIONS:
        raise ModelError(
            f"{path}: feature_normalize_type {metadata['feature_normalize_type']!r} "
            "is not one sherpa-onnx supports (global-mean)"
        )
    inputs = header.inputs
    dims = inputs[0].dims if len(inputs) == 1 else None
    if dims is None or len(dims) != 3 or (isinstance(dims[2], int) and dims[2] != FEATURE_DIM):
        raise ModelError(
            f"{path}: a speaker model takes one (batch, frames, {FEATURE_DIM}) input; "
            f"this one takes {[value.dims for value in inputs]}"
        )
    return EmbeddingModelInfo(path, framework, numbers["output_dim"], numbers["sample_rate"])


class SpeakerEmbedder:
    """Unit-length embeddings of speech, one per call, from a checked model."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import sherpa_onnx

        self.info = check_embedding_model(path)
        config = sherpa_onnx.SpeakerEmbeddingExtractorConfig(
            model=str(self.info.path), num_threads=threads, provider="cpu"
        )
        self._extractor = sherpa_onnx.SpeakerEmbeddingExtractor(config)
        self.dim: int = self._extractor.dim

    def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """The embedding of ``samples`` (float32 in [-1, 1]), unit length."""
        if len(samples) < MIN_SAMPLES_S * sample_rate:
            raise ValueError(f"{len(samples)} samples are too few for a speaker embedding")
        stream = self._extractor.create_stream()
        stream.accept_waveform(sample_rate, np.ascontiguousarray(samples, dtype=np.float32))
        stream.input_finished()
        return unit_length(np.asarray(self._extractor.compute(stream), dtype=np.float32))


def unit_length(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (a zero vector as it is): cosine becomes a dot product."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
