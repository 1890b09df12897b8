"""Reproduce the tiny wav2vec2 CTC fixture end to end (about an hour on 2 CPU cores).

    python -m tools.tiny_ctc.train

The same espeak-ng speech and BPE pieces as the tiny Emformer (its tokenizer
gives the CTC labels), a log-mel front end before a small wav2vec2 transformer
encoder, and torch's CTC loss on alternating single sentences and 1-3 sentence
sessions with pauses (what a live window sees). Writes ``tests/fixtures/tiny-ctc``;
checkpoints and a ``latest/`` model directory go to ``.work/tiny_ctc`` and an
interrupted run resumes from there.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece as spm
import torch

from tools.tiny_model.data import WORK_DIR as SPEECH_DIR
from tools.tiny_model.data import build_set, make_utterances
from tools.tiny_model.train import Schedule, augment, batches, pad_batch, sessions
from tui_captions.asr.wav2vec2.model import build_model
from tui_captions.asr.wav2vec2.model_dir import LogMel, Wav2Vec2Config, write_wav2vec2_dir

REPO = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO / "tests" / "fixtures" / "tiny-ctc"
WORK_DIR = REPO / ".work" / "tiny_ctc"
TOKENIZER = REPO / "tui_captions" / "demo" / "tiny-emformer" / "tokenizer.model"

TRAIN_SEED = 11
TRAIN_SENTENCES = 20_000
STEPS = 3600

# ~3.6 M parameters: 4 transformer layers at 256, one frame per 40 ms (as the Emformer's).
ENCODER_KWARGS: dict[str, Any] = {
    "extractor_mode": "group_norm",
    "extractor_conv_layer_config": [(256, 5, 4)],
    "extractor_conv_bias": False,
    "encoder_embed_dim": 256,
    "encoder_projection_dropout": 0.1,
    "encoder_pos_conv_kernel": 32,
    "encoder_pos_conv_groups": 16,
    "encoder_num_layers": 4,
    "encoder_num_heads": 4,
    "encoder_attention_dropout": 0.1,
    "encoder_ff_interm_features": 1024,
    "encoder_ff_interm_dropout": 0.1,
    "encoder_dropout": 0.1,
    "encoder_layer_norm_first": True,
    "encoder_layer_drop": 0.0,
}


def model_config(labels: list[str]) -> Wav2Vec2Config:
    return Wav2Vec2Config(
        model_kwargs={**ENCODER_KWARGS, "aux_num_out": len(labels)},
        labels=tuple(labels),
        blank=len(labels) - 1,
        word_separator=None,
        sample_rate=16000,
        window_seconds=4.0,
        hop_seconds=1.0,
        margin_seconds=0.6,
        log_mel=LogMel(n_fft=400, hop_length=160, n_mels=80, stride=4),
    )


def train(steps: int, sentences: int, out: Path, work_dir: Path, threads: int) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()
    utterances = make_utterances(sentences, TRAIN_SEED)
    speech = build_set(utterances, SPEECH_DIR)
    print(
        f"data: {len(speech)} sentences, {speech.hours:.1f} h ({time.monotonic() - started:.0f} s)"
    )
    pieces = spm.SentencePieceProcessor(model_file=str(TOKENIZER))
    labels = [pieces.id_to_piece(i) for i in range(pieces.get_piece_size())] + ["<blank>"]
    targets = [pieces.encode(u.text) for u in utterances]
    config = model_config(labels)
    model = build_model(config).train()
    print(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    schedule = Schedule(steps=steps, session_steps=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule.peak_lr, betas=(0.9, 0.98))
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = work_dir / "checkpoint.pt"
    step = 0
    if checkpoint_path.exists():
        checkpoint = torch.load(checkpoint_path, weights_only=False)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step = checkpoint["step"]
        print(f"resumed at step {step} of {steps}")
    rng = random.Random(TRAIN_SEED * 1000 + step)
    source = batches(speech, schedule.batch_seconds, rng)
    losses: list[float] = []
    tick = time.monotonic()
    while step < steps:
        for group in optimizer.param_groups:
            group["lr"] = schedule.lr(step)
        batch = next(source)
        clips = (
            sessions(speech, batch, rng) if step % 2 else [(speech.samples(i), [i]) for i in batch]
        )
        waves, lengths = pad_batch([augment(w, rng, schedule.noise_probability) for w, _ in clips])
        wanted = [[t for i in group for t in targets[i]] for _, group in clips]
        emissions, frames = model(waves, lengths)
        assert frames is not None
        log_probs = emissions.log_softmax(-1).transpose(0, 1)
        loss = torch.nn.functional.ctc_loss(
            log_probs,
            torch.tensor([t for target in wanted for t in target]),
            frames,
            torch.tensor([len(target) for target in wanted]),
            blank=config.blank,
            zero_infinity=True,
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), schedule.grad_clip)
        optimizer.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            print(
                f"step {step}/{steps} loss {np.mean(losses):.3f} lr {schedule.lr(step):.2e} "
                f"{(time.monotonic() - tick) / len(losses):.2f} s/step "
                f"total {(time.monotonic() - started) / 60:.1f} min",
                flush=True,
            )
            losses, tick = [], time.monotonic()
        if step % schedule.checkpoint_every == 0 or step == steps:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}
            torch.save(state, checkpoint_path)
            write_wav2vec2_dir(work_dir / "latest", config, model.state_dict(), half=True)
    write_wav2vec2_dir(out, config, model.eval().state_dict(), half=True)
    print(f"exported {out} after {(time.monotonic() - started) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--sentences", type=int, default=TRAIN_SENTENCES)
    parser.add_argument("--out", type=Path, default=FIXTURE_DIR)
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (see tiny_model)")
    args = parser.parse_args()
    train(args.steps, args.sentences, args.out, args.work_dir, args.threads)


if __name__ == "__main__":
    main()
