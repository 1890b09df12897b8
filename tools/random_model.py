"""Write a random-initialised model directory (tests and benchmarks; no download).

    python -m tools.random_model OUT_DIR [--size base|small] [--blank-bias 6] [--seed 0]

The tokenizer is a real sentencepiece model trained on generated pseudo-words,
the global stats are the identity, and ``--blank-bias`` raises the joiner's
blank logit so the random model emits tokens at a speech-like rate instead of
on every frame.
"""

from __future__ import annotations

import argparse
import io
import random
from pathlib import Path
from typing import Any

import sentencepiece as spm
import torch

from tui_captions.asr.catalog import BASE_KWARGS, FRONT_END
from tui_captions.asr.emformer.model_dir import GlobalStats, ModelConfig, write_model_dir

SIZES: dict[str, dict[str, Any]] = {
    "base": BASE_KWARGS,
    "small": {
        **BASE_KWARGS,
        "encoding_dim": 256,
        "num_symbols": 257,
        "transformer_num_heads": 4,
        "transformer_ffn_dim": 1024,
        "transformer_num_layers": 4,
        "symbol_embedding_dim": 256,
        "num_lstm_layers": 1,
    },
}

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def pseudo_text(lines: int, seed: int) -> list[str]:
    """Sentences of pronounceable nonsense words: enough variety for any vocabulary size."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(20000)
    ]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(4, 14))) for _ in range(lines)]


def train_tokenizer(sentences: list[str], vocab_size: int) -> bytes:
    """A BPE sentencepiece model; bytes of the ``.model`` file."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type="bpe",
        character_coverage=1.0,
        minloglevel=2,
    )
    return buffer.getvalue()


def make_random_model(
    directory: Path,
    size: str = "small",
    blank_bias: float = 0.0,
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
) -> ModelConfig:
    kwargs = {**SIZES[size], **(overrides or {})}
    config = ModelConfig(model_kwargs=kwargs, blank=kwargs["num_symbols"] - 1, **FRONT_END)
    torch.manual_seed(seed)
    model = config.build_model()
    with torch.no_grad():
        model.joiner.linear.bias[config.blank] += blank_bias
    tokenizer = train_tokenizer(pseudo_text(20000, seed), config.num_symbols - 1)
    n_mels = config.n_mels
    stats = GlobalStats(mean=torch.zeros(n_mels), invstddev=torch.ones(n_mels))
    write_model_dir(directory, config, model.state_dict(), tokenizer, stats)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--blank-bias", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = make_random_model(args.out, args.size, args.blank_bias, args.seed)
    print(f"wrote {args.out} ({args.size}, {config.num_symbols} symbols)")


if __name__ == "__main__":
    main()
