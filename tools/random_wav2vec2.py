"""Write a random-initialised wav2vec2 CTC model directory (tests and benchmarks; no download).

    python -m tools.random_wav2vec2 OUT_DIR [--size base|small|micro] [--blank-bias 0] [--seed 0]

The labels are LibriSpeech's characters (blank ``-``, word separator ``|``),
lower-cased as the catalog writes them; ``base`` is wav2vec2 base (94 M
parameters) with the window of the ``wav2vec2-librispeech`` catalog model.
``--blank-bias`` raises the blank's logit so the model emits labels at a
speech-like rate instead of on every frame.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import torch

from tui_captions.asr.catalog import WAV2VEC2_BASE_KWARGS, WAV2VEC2_LIBRISPEECH_CONFIG
from tui_captions.asr.wav2vec2.model import build_model
from tui_captions.asr.wav2vec2.model_dir import Wav2Vec2Config, write_wav2vec2_dir

_SMALL: dict[str, Any] = {
    **WAV2VEC2_BASE_KWARGS,
    "extractor_conv_layer_config": [(64, 10, 5)] + [(64, 3, 2)] * 4 + [(64, 2, 2)] * 2,
    "encoder_embed_dim": 96,
    "encoder_pos_conv_kernel": 16,
    "encoder_pos_conv_groups": 4,
    "encoder_num_layers": 2,
    "encoder_num_heads": 4,
    "encoder_ff_interm_features": 192,
}
SIZES: dict[str, dict[str, Any]] = {
    "base": WAV2VEC2_BASE_KWARGS,
    "small": _SMALL,
    "micro": {**_SMALL, "encoder_embed_dim": 32, "encoder_num_layers": 1},
}


def make_random_wav2vec2(
    directory: Path,
    size: str = "small",
    blank_bias: float = 0.0,
    seed: int = 0,
    **config_changes: Any,
) -> Wav2Vec2Config:
    """``config_changes`` replace fields of the catalog model's config (windows, decoder)."""
    config = dataclasses.replace(
        WAV2VEC2_LIBRISPEECH_CONFIG, model_kwargs=dict(SIZES[size]), **config_changes
    )
    torch.manual_seed(seed)
    model = build_model(config)
    with torch.no_grad():
        model.aux.bias[config.blank] += blank_bias
    write_wav2vec2_dir(directory, config, model.state_dict())
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--blank-bias", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = make_random_wav2vec2(args.out, args.size, args.blank_bias, args.seed)
    print(f"wrote {args.out} ({args.size}, {len(config.labels)} labels)")


if __name__ == "__main__":
    main()
