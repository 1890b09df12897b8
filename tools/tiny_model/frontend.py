"""Features and encoder passes for training: offline, and exactly as the stream computes them.

Offline (torchaudio's Emformer RNN-T recipe): features of the whole utterance,
right-padded with ``right_context_length`` zero frames; the Emformer takes each
segment's right context from the following frames.

Streaming (what :class:`tui_captions.asr.recognizer.Recognizer` does): each
chunk's features are computed from the chunk plus the previous chunk's last
``context_samples``, so frames near chunk edges differ from the offline ones,
and each segment's right context is the tail of its own chunk's features.
Training on both makes streaming WER match offline WER.
"""

from __future__ import annotations

import torch
from torchaudio.models import RNNT

from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import ModelConfig


def offline_features(
    extractor: FeatureExtractor, config: ModelConfig, waves: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, samples) -> features (B, frames + right context, n_mels) and valid frame counts."""
    features = extractor(waves)
    padded = torch.nn.functional.pad(features, (0, 0, 0, config.right_context_length))
    return padded, lengths // config.hop_length + 1


def chunk_count(config: ModelConfig, samples: int) -> int:
    """Chunks the stream needs for ``samples``: the last one is zero-padded."""
    return -(-samples // config.chunk_samples)


def streaming_features(
    extractor: FeatureExtractor, config: ModelConfig, waves: torch.Tensor
) -> torch.Tensor:
    """(B, samples) -> (B, chunks, segment + right context frames, n_mels), per chunk."""
    chunks = chunk_count(config, waves.shape[-1])
    total = chunks * config.chunk_samples
    padded = torch.nn.functional.pad(waves, (config.context_samples, total - waves.shape[-1]))
    windows = padded.unfold(-1, config.chunk_samples + config.context_samples, config.chunk_samples)
    frames = config.segment_length + config.right_context_length
    return extractor(windows)[..., :frames, :]


def encode_streaming(
    model: RNNT, config: ModelConfig, features: torch.Tensor, chunks: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The transcriber's training pass with each segment's right context from its own chunk.

    ``features`` from :func:`streaming_features`; ``chunks``: (B,) valid chunks.
    Mirrors ``_EmformerEncoder.forward`` and ``Emformer.forward`` except for
    where the right context comes from, which is what ``Emformer.infer`` sees.
    """
    encoder = model.transcriber
    emformer = encoder.transformer
    batch, count, frames = features.shape[:3]
    stride = encoder.time_reduction.stride
    reduced = encoder.input_linear(features).reshape(batch, count, frames // stride, -1)
    dim = reduced.shape[-1]
    segment = emformer.segment_length
    utterance = reduced[:, :, :segment].reshape(batch, -1, dim).transpose(0, 1)
    right_context = reduced[:, :, segment:].reshape(batch, -1, dim).transpose(0, 1)
    lengths = chunks * segment
    mask = emformer._gen_attention_mask(utterance)
    memory = torch.empty(0, dtype=features.dtype)
    for layer in emformer.emformer_layers:
        utterance, right_context, memory = layer(utterance, lengths, right_context, memory, mask)
    return encoder.layer_norm(encoder.output_linear(utterance.transpose(0, 1))), lengths
