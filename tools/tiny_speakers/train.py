"""Reproduce the tiny speaker-embedding fixture end to end (about 25 min on 2 CPU cores).

    nice -n 5 python -m tools.tiny_speakers.train

Synthesises sentences for every training speaker (``voices.py``), computes the kaldi
fbank sherpa-onnx computes (80 bins, 25/10 ms, samples in [-1, 1]), trains a small
TDNN with statistics pooling under an additive-angular-margin softmax, checks the
equal error rate on held-out voices and sentences, and exports the ONNX model with
the metadata sherpa-onnx's speaker-embedding extractor reads (framework ``wespeaker``,
``global-mean`` feature normalisation). Writes ``tests/fixtures/tiny-speakers/``;
audio, features and checkpoints go to ``.work/tiny_speakers`` (an interrupted run
resumes from its last checkpoint).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from multiprocessing.pool import ThreadPool
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from tools.tiny_sherpa.features import fbank as sherpa_fbank
from tools.tiny_speakers.voices import (
    RATE_JITTER,
    SAMPLE_RATE,
    Speaker,
    held_out_speakers,
    say,
    sentences,
    training_speakers,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO / "tests" / "fixtures" / "tiny-speakers"
WORK_DIR = REPO / ".work" / "tiny_speakers"
MODEL_FILE = "tiny-speakers.onnx"

SENTENCES_PER_SPEAKER = 12
HELD_OUT_SENTENCES_PER_SPEAKER = 4
TRAIN_TEXT_SEED = 1
HELD_OUT_TEXT_SEED = 7
CHANNELS = 128
POOLED = 256
EMBEDDING_DIM = 128
STEPS = 1200
BATCH = 64
CROP_FRAMES = (80, 250)
MARGIN = 0.2
SCALE = 30.0
NUM_MEL_BINS = 80


def fbank(samples: np.ndarray) -> np.ndarray:
    """sherpa-onnx's front end for speaker models (csrc/features.h): float32 (T, 80)."""
    wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
    return sherpa_fbank(wave).numpy()


class TinySpeakerNet(nn.Module):
    """A small TDNN (dilated 1-D convolutions) with mean and deviation pooling.

    Input (B, T, 80) fbank, already mean-normalised over time (sherpa-onnx does that for
    ``feature_normalize_type=global-mean``); output (B, EMBEDDING_DIM).
    """

    def __init__(self) -> None:
        super().__init__()

        def block(inputs: int, outputs: int, kernel: int, dilation: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv1d(
                    inputs, outputs, kernel, dilation=dilation, padding=dilation * (kernel // 2)
                ),
                nn.ReLU(),
                nn.BatchNorm1d(outputs),
            )

        self.frames = nn.Sequential(
            block(NUM_MEL_BINS, CHANNELS, 5, 1),
            block(CHANNELS, CHANNELS, 3, 2),
            block(CHANNELS, CHANNELS, 3, 3),
            block(CHANNELS, CHANNELS, 1, 1),
            block(CHANNELS, POOLED, 1, 1),
        )
        self.embedding = nn.Linear(2 * POOLED, EMBEDDING_DIM)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        frames = self.frames(features.transpose(1, 2))
        mean = frames.mean(dim=2)
        deviation = torch.sqrt(frames.var(dim=2, unbiased=False).clamp(min=1e-5))
        return self.embedding(torch.cat([mean, deviation], dim=1))


class MarginSoftmax(nn.Module):
    """Additive angular margin (ArcFace-style) over the training speakers."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, EMBEDDING_DIM) * 0.01)

    def forward(
        self, embeddings: torch.Tensor, labels: torch.Tensor, margin: float
    ) -> torch.Tensor:
        cosine = functional.linear(
            functional.normalize(embeddings), functional.normalize(self.weight)
        ).clamp(-1 + 1e-6, 1 - 1e-6)
        target = torch.cos(torch.acos(cosine) + margin)
        one_hot = functional.one_hot(labels, cosine.shape[1]).bool()
        logits = torch.where(one_hot, target, cosine) * SCALE
        return functional.cross_entropy(logits, labels)


def synthesise(
    speakers: list[Speaker], per_speaker: int, text_seed: int, name: str
) -> list[list[np.ndarray]]:
    """Each speaker's sentences as fbank matrices, cached under ``.work``."""
    cache = WORK_DIR / f"{name}.npz"
    if cache.exists():
        stored = np.load(cache)
        counts = stored["counts"]
        flat = np.split(stored["features"], np.cumsum(stored["lengths"])[:-1])
        starts = np.cumsum([0, *counts])
        return [flat[starts[i] : starts[i + 1]] for i in range(len(counts))]
    texts = sentences(len(speakers) * per_speaker, text_seed)
    rng = random.Random(text_seed)
    jobs = [
        (speaker, texts[i * per_speaker + j], rng.randint(-RATE_JITTER, RATE_JITTER))
        for i, speaker in enumerate(speakers)
        for j in range(per_speaker)
    ]
    with ThreadPool(2) as pool:
        audio = pool.starmap(say, jobs, chunksize=8)
    features = [fbank(samples).astype(np.float16) for samples in audio]
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    np.savez(
        cache,
        features=np.concatenate(features),
        lengths=np.array([len(f) for f in features]),
        counts=np.full(len(speakers), per_speaker),
    )
    seconds = sum(len(a) for a in audio) / SAMPLE_RATE
    print(f"{name}: {len(audio)} sentences, {seconds / 3600:.2f} h of speech", flush=True)
    return [features[i * per_speaker : (i + 1) * per_speaker] for i in range(len(speakers))]


def crop(features: np.ndarray, frames: int, rng: random.Random) -> np.ndarray:
    """``frames`` frames from ``features`` (tiled when shorter), mean-normalised, with noise."""
    if len(features) < frames:
        features = np.tile(features, (math.ceil(frames / len(features)), 1))
    start = rng.randint(0, len(features) - frames)
    piece = features[start : start + frames].astype(np.float32)
    return piece - piece.mean(axis=0, keepdims=True)


def batch(data: list[list[np.ndarray]], rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    frames = rng.randint(*CROP_FRAMES)
    labels = [rng.randrange(len(data)) for _ in range(BATCH)]
    pieces = [crop(rng.choice(data[label]), frames, rng) for label in labels]
    return torch.from_numpy(np.stack(pieces)), torch.tensor(labels)


@torch.no_grad()
def embed_all(model: TinySpeakerNet, data: list[list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    vectors, owners = [], []
    for owner, utterances in enumerate(data):
        for features in utterances:
            x = features.astype(np.float32)
            x = x - x.mean(axis=0, keepdims=True)
            vectors.append(functional.normalize(model(torch.from_numpy(x)[None]), dim=1)[0].numpy())
            owners.append(owner)
    model.train()
    return np.stack(vectors), np.array(owners)


def equal_error_rate(vectors: np.ndarray, owners: np.ndarray) -> float:
    """EER over every pair of held-out sentences: same speaker vs different speakers."""
    scores = vectors @ vectors.T
    upper = np.triu_indices(len(owners), k=1)
    same = (owners[:, None] == owners[None, :])[upper]
    values = scores[upper]
    order = np.argsort(-values)
    same_sorted = same[order]
    false_reject = 1 - np.cumsum(same_sorted) / same_sorted.sum()
    false_accept = np.cumsum(~same_sorted) / (~same_sorted).sum()
    index = int(np.argmin(np.abs(false_reject - false_accept)))
    return float((false_reject[index] + false_accept[index]) / 2)


def export(model: TinySpeakerNet, path: Path) -> None:
    """ONNX with the metadata sherpa-onnx's extractor reads
    (``csrc/speaker-embedding-extractor-model.cc``)."""
    import onnx

    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (torch.zeros(1, 200, NUM_MEL_BINS),),
        str(path),
        input_names=["feats"],
        output_names=["embs"],
        dynamic_axes={"feats": {0: "B", 1: "T"}, "embs": {0: "B"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(path))
    metadata = {
        "framework": "wespeaker",
        "language": "English",
        "output_dim": str(EMBEDDING_DIM),
        "sample_rate": str(SAMPLE_RATE),
        "normalize_samples": "1",
        "feature_normalize_type": "global-mean",
        "comment": "captions-tui tiny speaker model, trained on espeak-ng and flite voices",
    }
    onnx.helper.set_model_props(proto, metadata)
    onnx.save(proto, str(path))
    model.train()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    started = time.monotonic()
    train = synthesise(training_speakers(), SENTENCES_PER_SPEAKER, TRAIN_TEXT_SEED, "train")
    held = synthesise(
        held_out_speakers(), HELD_OUT_SENTENCES_PER_SPEAKER, HELD_OUT_TEXT_SEED, "held-out"
    )
    print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)

    model = TinySpeakerNet()
    head = MarginSoftmax(len(train))
    parameters = sum(p.numel() for p in model.parameters())
    print(
        f"{parameters} parameters, {len(train)} training speakers, {len(held)} held out", flush=True
    )
    optimizer = torch.optim.AdamW(
        [*model.parameters(), *head.parameters()], lr=3e-3, weight_decay=1e-4
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=3e-3, total_steps=args.steps, pct_start=0.1
    )
    checkpoint = WORK_DIR / "checkpoint.pt"
    first = 0
    if checkpoint.exists():
        state = torch.load(checkpoint)
        model.load_state_dict(state["model"])
        head.load_state_dict(state["head"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        first = state["step"]
        rng.seed(first)
    figures: dict[str, float] = {}
    for step in range(first, args.steps):
        x, labels = batch(train, rng)
        # the margin grows over the first fifth: plain softmax first, then tighter clusters
        margin = MARGIN * min(1.0, step / (0.2 * args.steps))
        loss = head(model(x), labels, margin)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if (step + 1) % 200 == 0 or step + 1 == args.steps:
            eer = equal_error_rate(*embed_all(model, held))
            figures = {
                "step": step + 1,
                "loss": round(loss.item(), 3),
                "held_out_eer": round(eer, 4),
            }
            print(
                json.dumps(figures | {"minutes": round((time.monotonic() - started) / 60, 1)}),
                flush=True,
            )
            torch.save(
                {
                    "model": model.state_dict(),
                    "head": head.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step + 1,
                },
                checkpoint,
            )
    export(model, FIXTURE_DIR / MODEL_FILE)
    (FIXTURE_DIR / "figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"wrote {FIXTURE_DIR / MODEL_FILE} in {(time.monotonic() - started) / 60:.1f} min",
        flush=True,
    )


if __name__ == "__main__":
    main()
