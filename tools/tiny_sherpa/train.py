"""Train the tiny streaming LSTM transducer that sherpa-onnx runs (tests/fixtures/tiny-sherpa).

    python -m tools.tiny_sherpa.train

Warm start from the tiny Emformer (``tui_captions/demo/tiny-emformer``): its
tokenizer, predictor and joiner are kept, and a new streaming encoder learns
from two signals at once: the Emformer transcriber's outputs frame by frame
(distillation, a dense signal that gets it going fast) and the one-symbol-per-
frame RNN-T loss on the true text (what sherpa-onnx's searches decode). The
speech is the tiny Emformer's (espeak-ng voices, random word orders), cached
under ``.work/tiny_model``. Checkpoints, a ``latest/`` model directory and
sherpa-onnx's own WER on held-out sentences come every few hundred steps in
``.work/tiny_sherpa``; an interrupted run resumes from the last checkpoint.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch

from tools.tiny_model import data
from tools.tiny_model.data import SAMPLE_RATE, SpeechSet, build_set, make_utterances
from tools.tiny_model.frontend import offline_features
from tools.tiny_model.train import augment, batches, pad_batch, sessions
from tools.tiny_sherpa.evaluate import evaluate
from tools.tiny_sherpa.export import FIXTURE_DIR, export_model_dir
from tools.tiny_sherpa.features import fbank
from tools.tiny_sherpa.loss import modified_rnnt_loss
from tools.tiny_sherpa.model import (
    StreamingEncoder,
    joiner_logits,
    label_windows,
    output_frames,
    windowed_predictor,
)
from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir

REPO = Path(__file__).resolve().parents[2]
TEACHER_DIR = REPO / "tui_captions" / "demo" / "tiny-emformer"
WORK_DIR = REPO / ".work" / "tiny_sherpa"

TRAIN_SEED = 1  # the teacher's own sentences (a prefix of its 30,000): its outputs are best there
TRAIN_SENTENCES = 12_000
STATS_UTTERANCES = 500
# Zeros after every utterance: the encoder's look-ahead past the last word, as the
# tail padding a stream gets when it ends.
TAIL_SECONDS = 0.4
# At most this much silence before a sentence: where speech starts relative to
# sherpa's 160 ms chunks (and to the 40 ms encoder frames) varies.
OFFSET_SECONDS = 0.6
EVAL_SENTENCES = 100
# Every SESSION_EVERY-th batch joins 1-3 sentences with pauses, as a live stream
# carries them (the tiny Emformer lost its way after silence without them); they
# cost the most (long lattices), so they are a quarter of the batches.
SESSION_EVERY = 4


@dataclass(frozen=True)
class Schedule:
    steps: int = 2600
    batch_seconds: float = 30.0
    peak_lr: float = 1.5e-3
    # The predictor and joiner come trained: they move slower.
    warm_lr_scale: float = 0.1
    warmup_steps: int = 150
    final_lr_fraction: float = 0.05
    grad_clip: float = 5.0
    distill_weight: float = 1.0
    checkpoint_every: int = 250
    noise_probability: float = 0.3

    def lr(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.peak_lr * (step + 1) / self.warmup_steps
        progress = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return self.peak_lr * (self.final_lr_fraction + (1 - self.final_lr_fraction) * cosine)


def feature_stats(speech: SpeechSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-bin mean and 1/std of the fbank, baked into the encoder (sherpa does not normalise)."""
    frames = torch.cat(
        [
            fbank(torch.from_numpy(speech.samples(i)))
            for i in range(min(STATS_UTTERANCES, len(speech)))
        ]
    )
    return frames.mean(0), 1.0 / frames.std(0).clamp_min(1e-3)


def with_offsets(speech: SpeechSet, batch: list[int], rng: random.Random) -> list[np.ndarray]:
    """Each sentence after 0..OFFSET_SECONDS of silence (any sample count)."""
    return [
        np.concatenate(
            [
                np.zeros(rng.randrange(int(OFFSET_SECONDS * SAMPLE_RATE)), dtype=np.float32),
                speech.samples(i),
            ]
        )
        for i in batch
    ]


def step_loss(
    encoder: StreamingEncoder,
    teacher: ModelFiles,
    extractor: FeatureExtractor,
    waves: torch.Tensor,
    lengths: torch.Tensor,
    targets: list[list[int]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """(distillation MSE, RNN-T loss per token) on one batch."""
    rnnt = teacher.model
    with torch.no_grad():
        features, frames = offline_features(extractor, teacher.config, waves, lengths)
        wanted, wanted_frames = rnnt.transcriber(features, frames)
        tail = torch.nn.functional.pad(waves, (0, int(TAIL_SECONDS * SAMPLE_RATE)))
        student_features = torch.stack([fbank(row) for row in tail])
    h, c = encoder.initial_state(len(waves))
    encodings, _, _ = encoder(student_features, h, c)
    # Frames whose chunk holds speech, plus the one after.
    valid = torch.minimum(
        torch.div(lengths, 640, rounding_mode="floor") + 2,
        output_frames(torch.tensor(student_features.shape[1])),
    )
    shared = min(encodings.shape[1], wanted.shape[1])
    mask = (torch.arange(shared)[None] < torch.minimum(valid, wanted_frames)[:, None]).float()
    squared = ((encodings[:, :shared] - wanted[:, :shared]) ** 2).mean(-1)
    distill = (squared * mask).sum() / mask.sum()

    label_lengths = torch.tensor([len(t) for t in targets])
    labels = torch.zeros(len(targets), int(label_lengths.max()), dtype=torch.long)
    for row, target in enumerate(targets):
        labels[row, : len(target)] = torch.tensor(target)
    windows, window_valid = label_windows(labels, teacher.config.blank)
    batch, positions, context = windows.shape
    predicted = windowed_predictor(
        rnnt, windows.reshape(-1, context), window_valid.reshape(-1, context)
    ).reshape(batch, positions, -1)
    steps = int(valid.max())
    logits = joiner_logits(rnnt, encodings[:, :steps], predicted)
    transducer = modified_rnnt_loss(logits, labels, valid, label_lengths, teacher.config.blank)
    return distill, transducer / label_lengths.float().mean()


def train(schedule: Schedule, sentences: int, out: Path, work_dir: Path, eval_every: int) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()
    data.PROCESSES = 1  # one espeak-ng at a time: the machine is shared
    utterances = make_utterances(sentences, TRAIN_SEED)
    speech = build_set(utterances)
    print(
        f"data: {len(speech)} sentences, {speech.hours:.1f} h ({time.monotonic() - started:.0f} s)"
    )
    teacher = load_model_dir(TEACHER_DIR)
    teacher.model.eval()  # no dropout in the predictor: it is deployed as it is trained
    extractor = FeatureExtractor(teacher.config, teacher.stats)
    pieces: spm.SentencePieceProcessor = teacher.tokenizer
    targets = [pieces.encode(u.text) for u in utterances]
    encoder = StreamingEncoder()
    mean, invstd = feature_stats(speech)
    encoder.mean.copy_(mean)
    encoder.invstd.copy_(invstd)
    for parameter in teacher.model.transcriber.parameters():
        parameter.requires_grad_(False)
    warm = [*teacher.model.predictor.parameters(), *teacher.model.joiner.parameters()]
    optimizer = torch.optim.Adam(
        [
            {"params": encoder.parameters(), "scale": 1.0},
            {"params": warm, "scale": schedule.warm_lr_scale},
        ],
        lr=schedule.peak_lr,
        betas=(0.9, 0.98),
    )
    print(f"encoder: {sum(p.numel() for p in encoder.parameters()) / 1e6:.2f} M parameters")
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = work_dir / "checkpoint.pt"
    step = 0
    if checkpoint_path.exists():
        checkpoint = torch.load(checkpoint_path, weights_only=False)
        encoder.load_state_dict(checkpoint["encoder"])
        teacher.model.load_state_dict(checkpoint["rnnt"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step = checkpoint["step"]
        print(f"resumed at step {step} of {schedule.steps}")
    rng = random.Random(TRAIN_SEED * 1000 + step)
    source = batches(speech, schedule.batch_seconds, rng)
    window: list[tuple[float, float]] = []
    tick = time.monotonic()
    while step < schedule.steps:
        for group in optimizer.param_groups:
            group["lr"] = schedule.lr(step) * group["scale"]
        batch = next(source)
        if step % SESSION_EVERY == SESSION_EVERY - 1:
            clips = sessions(speech, batch, rng)
        else:
            clips = list(zip(with_offsets(speech, batch, rng), ([i] for i in batch), strict=True))
        waves, lengths = pad_batch(
            [augment(wave, rng, schedule.noise_probability) for wave, _ in clips]
        )
        labels = [[t for i in group for t in targets[i]] for _, group in clips]
        distill, transducer = step_loss(encoder, teacher, extractor, waves, lengths, labels)
        loss = schedule.distill_weight * distill + transducer
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_([*encoder.parameters(), *warm], schedule.grad_clip)
        optimizer.step()
        step += 1
        window.append((distill.item(), transducer.item()))
        if step % 25 == 0:
            d, r = np.mean(window, axis=0)
            print(
                f"step {step}/{schedule.steps} distill {d:.3f} rnnt/token {r:.3f} "
                f"lr {schedule.lr(step):.2e} {(time.monotonic() - tick) / len(window):.2f} s/step "
                f"total {(time.monotonic() - started) / 60:.1f} min",
                flush=True,
            )
            window, tick = [], time.monotonic()
        if step % schedule.checkpoint_every == 0 or step == schedule.steps:
            state = {
                "encoder": encoder.state_dict(),
                "rnnt": teacher.model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
            }
            torch.save(state, checkpoint_path)
            export_model_dir(work_dir / "latest", encoder, teacher)
        if step % eval_every == 0 or step == schedule.steps:
            for beam in (1, 4):
                report = evaluate(work_dir / "latest", EVAL_SENTENCES, beam)
                print(
                    f"step {step} held-out, {EVAL_SENTENCES} sentences, beam {beam}: "
                    f"{report.summary()}",
                    flush=True,
                )
            tick = time.monotonic()
    export_model_dir(out, encoder, teacher, int8=True)
    print(f"exported {out} after {(time.monotonic() - started) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=Schedule.steps)
    parser.add_argument("--sentences", type=int, default=TRAIN_SENTENCES)
    parser.add_argument("--out", type=Path, default=FIXTURE_DIR)
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--eval-every", type=int, default=250)
    args = parser.parse_args()
    train(Schedule(steps=args.steps), args.sentences, args.out, args.work_dir, args.eval_every)


if __name__ == "__main__":
    main()
