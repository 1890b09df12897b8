"""Reproduce the tiny Emformer RNN-T fixture end to end (about an hour on 2 CPU cores).

    python -m tools.tiny_model.train

Synthesizes the training speech (cached), trains a BPE tokenizer and the
global feature statistics, trains the model with the RNN-T loss on
alternating offline and stream-exact batches, and exports the model directory
to ``tui_captions/demo/tiny-emformer`` plus the bundled demo clip beside it. Checkpoints
(and an exported model directory, ``latest/``) are written to the work
directory every few hundred steps; an interrupted run resumes from there.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece as spm
import torch
from torchaudio.models import RNNT

from tools.random_model import BASE_KWARGS, FRONT_END, train_tokenizer
from tools.tiny_model.data import (
    SAMPLE_RATE,
    WORK_DIR,
    SpeechSet,
    build_set,
    make_utterances,
    write_demo_clip,
)
from tools.tiny_model.frontend import (
    chunk_count,
    encode_streaming,
    offline_features,
    streaming_features,
)
from tools.tiny_model.loss import rnnt_loss
from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import GlobalStats, ModelConfig, write_model_dir

REPO = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO / "tui_captions" / "demo" / "tiny-emformer"

TRAIN_SEED = 1
TRAIN_SENTENCES = 30_000
TOKENIZER_PIECES = 256
STATS_UTTERANCES = 500

# ~4 M parameters: the Emformer runs at dimension 64 * 4 = 256.
MODEL_KWARGS: dict[str, Any] = {
    **BASE_KWARGS,
    "encoding_dim": 256,
    "num_symbols": TOKENIZER_PIECES + 1,
    "time_reduction_input_dim": 64,
    "transformer_num_heads": 4,
    "transformer_ffn_dim": 1024,
    "transformer_num_layers": 4,
    "symbol_embedding_dim": 256,
    "num_lstm_layers": 1,
}


@dataclass(frozen=True)
class Schedule:
    """Optimisation settings; the defaults are the committed fixture's."""

    steps: int = 5000
    # Then a phase on "sessions": 1-3 sentences after leading silence and with
    # pauses between, as a live stream carries them. Isolated-utterance training
    # alone lost 10 points of WER after 0.9 s of silence, and 45% WER through
    # `transcribe` on sentences joined by pauses.
    session_steps: int = 1000
    session_peak_lr: float = 1.5e-4
    batch_seconds: float = 50.0
    peak_lr: float = 6e-4
    warmup_steps: int = 200
    final_lr_fraction: float = 0.02
    grad_clip: float = 10.0
    checkpoint_every: int = 250
    noise_probability: float = 0.3

    @property
    def total_steps(self) -> int:
        return self.steps + self.session_steps

    def lr(self, step: int) -> float:
        """Linear warm-up, then cosine decay to ``final_lr_fraction`` of the peak.

        The session phase restarts a short cosine from ``session_peak_lr``.
        """
        if step >= self.steps:
            progress = (step - self.steps) / max(1, self.session_steps)
            return self.session_peak_lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        if step < self.warmup_steps:
            return self.peak_lr * (step + 1) / self.warmup_steps
        progress = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return self.peak_lr * (self.final_lr_fraction + (1 - self.final_lr_fraction) * cosine)


def model_config() -> ModelConfig:
    return ModelConfig(model_kwargs=MODEL_KWARGS, blank=TOKENIZER_PIECES, **FRONT_END)


def global_stats(config: ModelConfig, speech: SpeechSet) -> GlobalStats:
    """Per-bin mean and 1/std of the log-mel features, measured before normalisation."""
    identity = GlobalStats(mean=torch.zeros(config.n_mels), invstddev=torch.ones(config.n_mels))
    extractor = FeatureExtractor(config, identity)
    with torch.no_grad():
        frames = torch.cat(
            [
                extractor(torch.from_numpy(speech.samples(i)))
                for i in range(min(STATS_UTTERANCES, len(speech)))
            ]
        )
    return GlobalStats(mean=frames.mean(0), invstddev=1.0 / frames.std(0).clamp_min(1e-3))


def batches(speech: SpeechSet, seconds: float, rng: random.Random) -> Iterator[list[int]]:
    """Endless shuffled batches of similar-length utterances, padded size <= ``seconds``."""
    while True:
        order = list(range(len(speech)))
        rng.shuffle(order)
        epoch: list[list[int]] = []
        for start in range(0, len(order), 512):
            group = sorted(order[start : start + 512], key=speech.seconds)
            batch: list[int] = []
            for index in group:
                if batch and speech.seconds(index) * (len(batch) + 1) > seconds:
                    epoch.append(batch)
                    batch = []
                batch.append(index)
            epoch.append(batch)
        rng.shuffle(epoch)
        yield from epoch


def augment(wave: np.ndarray, rng: random.Random, noise_probability: float) -> np.ndarray:
    """Random level (microphones differ) and, sometimes, faint white noise."""
    wave = wave * 10 ** (rng.uniform(-25.0, 0.0) / 20)
    if rng.random() < noise_probability:
        rms = float(np.sqrt(np.mean(wave**2))) + 1e-8
        noise_rms = rms * 10 ** (-rng.uniform(20.0, 45.0) / 20)
        wave = wave + np.random.default_rng(rng.getrandbits(32)).normal(0, noise_rms, wave.shape)
    return wave.astype(np.float32)


def sessions(
    speech: SpeechSet, batch: list[int], rng: random.Random
) -> list[tuple[np.ndarray, list[int]]]:
    """Group a batch into 1-3 sentence sessions with leading silence and pauses between."""
    grouped = []
    rest = list(batch)
    while rest:
        size = min(len(rest), rng.randint(1, 3))
        group, rest = rest[:size], rest[size:]
        pieces = []
        for index in group:
            pause = np.zeros(int(rng.uniform(0.1, 1.5) * SAMPLE_RATE), dtype=np.float32)
            pieces += [pause, speech.samples(index)]
        grouped.append((np.concatenate(pieces), group))
    return grouped


def pad_batch(waves: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(w) for w in waves])
    padded = torch.zeros(len(waves), int(lengths.max()))
    for row, wave in enumerate(waves):
        padded[row, : len(wave)] = torch.from_numpy(wave)
    return padded, lengths


def training_loss(
    model: RNNT,
    config: ModelConfig,
    extractor: FeatureExtractor,
    waves: torch.Tensor,
    lengths: torch.Tensor,
    targets: list[list[int]],
    streaming: bool,
) -> torch.Tensor:
    """Mean per-utterance RNN-T loss; ``streaming`` encodes the audio as the stream does."""
    with torch.no_grad():
        if streaming:
            features = streaming_features(extractor, config, waves)
        else:
            features, frames = offline_features(extractor, config, waves, lengths)
    if streaming:
        chunks = torch.tensor([chunk_count(config, int(n)) for n in lengths])
        encodings, encoding_lengths = encode_streaming(model, config, features, chunks)
    else:
        encodings, encoding_lengths = model.transcriber(features, frames)
    label_lengths = torch.tensor([len(t) for t in targets], dtype=torch.int32)
    labels = torch.zeros(len(targets), int(label_lengths.max()), dtype=torch.int32)
    for row, target in enumerate(targets):
        labels[row, : len(target)] = torch.tensor(target)
    # The predictor starts every sequence from the blank, as RNNTBeamSearch does.
    predictor_input = torch.nn.functional.pad(labels, (1, 0), value=config.blank)
    predicted, _, _ = model.predictor(predictor_input, label_lengths + 1, None)
    logits, _, _ = model.joiner(encodings, encoding_lengths, predicted, label_lengths + 1)
    return rnnt_loss(logits, labels, encoding_lengths.int(), label_lengths, config.blank)


def export(
    directory: Path,
    config: ModelConfig,
    model: RNNT,
    tokenizer: bytes,
    stats: GlobalStats,
) -> None:
    write_model_dir(directory, config, model.state_dict(), tokenizer, stats, half=True)


def train(
    schedule: Schedule, sentences: int, out: Path, work_dir: Path, demo: bool, threads: int
) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()
    utterances = make_utterances(sentences, TRAIN_SEED)
    speech = build_set(utterances, work_dir)
    print(
        f"data: {len(speech)} sentences, {speech.hours:.1f} h ({time.monotonic() - started:.0f} s)"
    )
    tokenizer = train_tokenizer([u.text for u in utterances], TOKENIZER_PIECES)
    pieces = spm.SentencePieceProcessor(model_proto=tokenizer)
    targets = [pieces.encode(u.text) for u in utterances]
    config = model_config()
    stats = global_stats(config, speech)
    extractor = FeatureExtractor(config, stats)
    model = config.build_model().train()
    params = sum(p.numel() for p in model.parameters())
    tokens = np.mean([len(t) for t in targets])
    print(f"model: {params / 1e6:.2f} M parameters; {tokens:.1f} tokens per sentence")
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule.peak_lr, betas=(0.9, 0.98))
    checkpoint_path = work_dir / "checkpoint.pt"
    step = 0
    if checkpoint_path.exists():
        checkpoint = torch.load(checkpoint_path, weights_only=False)
        if checkpoint["sentences"] == sentences:
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            step = checkpoint["step"]
            print(f"resumed at step {step} of {schedule.total_steps}")
    rng = random.Random(TRAIN_SEED * 1000 + step)
    source = batches(speech, schedule.batch_seconds, rng)
    window: list[float] = []
    tick = time.monotonic()
    while step < schedule.total_steps:
        for group in optimizer.param_groups:
            group["lr"] = schedule.lr(step)
        batch = next(source)
        if step < schedule.steps:
            clips = [(speech.samples(i), [i]) for i in batch]
        else:
            clips = sessions(speech, batch, rng)
        waves, lengths = pad_batch(
            [augment(wave, rng, schedule.noise_probability) for wave, _ in clips]
        )
        labels = [[t for i in group for t in targets[i]] for _, group in clips]
        loss = training_loss(model, config, extractor, waves, lengths, labels, step % 2 == 1)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), schedule.grad_clip)
        optimizer.step()
        step += 1
        window.append(loss.item())
        if step % 50 == 0:
            elapsed = time.monotonic() - tick
            print(
                f"step {step}/{schedule.total_steps} loss {np.mean(window):.3f} "
                f"lr {schedule.lr(step):.2e} {elapsed / len(window):.2f} s/step "
                f"total {(time.monotonic() - started) / 60:.1f} min",
                flush=True,
            )
            window, tick = [], time.monotonic()
        if step % schedule.checkpoint_every == 0 or step == schedule.total_steps:
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "step": step,
                    "sentences": sentences,
                },
                checkpoint_path,
            )
            export(work_dir / "latest", config, model.eval(), tokenizer, stats)
            model.train()
    export(out, config, model.eval(), tokenizer, stats)
    if demo:
        write_demo_clip(out.parent)
    print(f"exported {out} after {(time.monotonic() - started) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=Schedule.steps)
    parser.add_argument("--session-steps", type=int, default=Schedule.session_steps)
    parser.add_argument("--sentences", type=int, default=TRAIN_SENTENCES)
    parser.add_argument("--out", type=Path, default=FIXTURE_DIR)
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--no-demo", action="store_true", help="skip writing the demo clip")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: on a shared 2-core machine two OpenMP threads "
        "wait on each other and a step took 5-10x longer)",
    )
    args = parser.parse_args()
    train(
        Schedule(steps=args.steps, session_steps=args.session_steps),
        args.sentences,
        args.out,
        args.work_dir,
        not args.no_demo,
        args.threads,
    )


if __name__ == "__main__":
    main()
