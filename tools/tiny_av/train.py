"""Train the tiny audio-visual model: the seed's architecture, a few million parameters.

    .venv/bin/python -m tools.tiny_av.train [--minutes 120] [--threads 2]

One command: it makes the talking faces (``data``; cached in ``.work/tiny_av/``),
builds the seed's model (an audio ResNet on the 19.2 kHz waveform, a linear
video front end, the fusion MLP, an Emformer RNN-T of 32-frame segments),
starts its Emformer layers, predictor and joiner from the tiny Emformer's
(``tests/fixtures/tiny-emformer``, the same words, tokenizer and frame rate
near enough: 40 ms there, 33 ms here), and trains on sentences of the tiny
vocabulary in two phases. First the front ends learn to give those Emformer
layers what the tiny Emformer's own front end gives them from the same clean
sound (its log-mel frames through its input layer, resampled in time to 30
frames a second; mean squared error): a waveform ResNet learns nothing for
hundreds of RNN-T steps on its own (the loss sat at the token prior), and the
video's per-sentence offsets, twenty times the audio's scale through the
fusion's LayerNorm, drowned it. Then everything trains on the RNN-T loss,
with white noise mixed into the audio at random SNRs down to -5 dB, and
modality dropout (some steps with the video blanked, some with the
audio silenced) so one model runs with or without its camera. Each sentence
starts with the 4 black, silent frames the engine's cacher puts before a
stream, so training sees the windows as the engine cuts them. The model is
written to ``.work/tiny_av/model/`` (not shipped until it reaches the figures
of ``tools/tiny_av/README.md``) as the engine reads it (the tutorial's
two file names, fp16 weights, and ``captions-tui.json``: it carries its state
from window to window). Checkpoints go to ``.work/tiny_av/``; a run started
again resumes. The log is printed and kept in ``tools/tiny_av/train.log``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
import warnings
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch
import torchaudio

from tools.avsr_model import CROP, DEVICE_RNNT, AvModel, Size, scaled
from tools.checkpoint import resume, save
from tools.talking_face import VISEMES
from tools.tiny_av.data import NO_MOUTH, WORK_DIR, AvSet, build_set
from tools.tiny_model.data import make_utterances
from tools.tiny_model.loss import rnnt_loss
from tui_captions.asr.avsr.engine import CONTEXT_FRAMES, MEAN, STD
from tui_captions.asr.avsr.model_dir import HINTS_FILE, MODEL_FILE, TOKENIZER_FILE
from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import load_model_dir

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "fixtures" / "tiny-emformer"
MODEL_DIR = WORK_DIR / "model"
LOG = Path(__file__).with_name("train.log")
TRAIN_SEED, HELD_OUT_SEED = 21, 22
SENTENCES, HELD_OUT = 8000, 300
PER_FRAME = 640
SIZE = Size(
    channels=(16, 32, 64, 128),
    blocks=(1, 1, 1, 1),
    fusion=256,
    features=256,
    rnnt=scaled(
        DEVICE_RNNT,
        input_dim=256,
        encoding_dim=256,
        num_symbols=257,
        time_reduction_input_dim=256,
        transformer_num_heads=4,
        transformer_ffn_dim=1024,
        transformer_num_layers=4,
        symbol_embedding_dim=256,
        num_lstm_layers=1,
    ),
)
BATCH_SECONDS = 40.0
PEAK_LR, WARMUP = 6e-4, 200
DISTILL = 0.15  # the budget's first part: the front ends learn the tiny Emformer's inputs
VIDEO_OFF, AUDIO_OFF, NOISY = 0.2, 0.2, 0.7
VISEME_WEIGHT = 2.0  # the lips' own loss beside the RNN-T loss (see ``Lips``)
SNR_DB = (-5.0, 20.0)


def log(text: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {text}"
    print(line, flush=True)
    with LOG.open("a") as out:
        out.write(line + "\n")


def build_model() -> AvModel:
    """The seed's architecture at the tiny size, its transducer started from the tiny Emformer;
    the video front end starts small, so the face's per-sentence offsets do not swamp the
    sound in the fusion's LayerNorm before either has learned anything."""
    model = AvModel(SIZE)
    with torch.no_grad():
        model.video_frontend.weight.mul_(0.05)
    tiny = load_model_dir(TINY).model.state_dict()
    ours = model.model.state_dict()
    shared = {
        k: v
        for k, v in tiny.items()
        if k in ours and ours[k].shape == v.shape and not k.startswith("transcriber.input_linear")
    }
    model.model.load_state_dict(shared, strict=False)
    log(f"started {len(shared)} of {len(ours)} transducer tensors from {TINY.name}")
    return model


def noisy(audio: np.ndarray, rng: random.Random) -> np.ndarray:
    """White noise at a random SNR (dB) against the speech's own power."""
    power = float(np.mean(audio**2)) + 1e-10
    snr = rng.uniform(*SNR_DB)
    noise = np.random.default_rng(rng.randrange(2**31)).standard_normal(len(audio))
    return (audio + noise.astype(np.float32) * math.sqrt(power / 10 ** (snr / 10))).astype(
        np.float32
    )


Example = tuple[np.ndarray, np.ndarray, np.ndarray]


def example(data: AvSet, index: int, rng: random.Random | None) -> Example:
    """A sentence as the engine feeds it: 4 silent black frames, then its frames; audio
    ``(frames * 640,)``, normalised crops ``(frames, 44, 44)`` and the viseme drawn on each
    crop (``NO_MOUTH`` where none is seen); ``rng``: augmented."""
    audio, crops = data.samples(index), data.crops(index).astype(np.float32)
    mouths = data.visemes(index).astype(np.int64)
    frames = max(len(crops), math.ceil(len(audio) / PER_FRAME))
    audio = np.pad(audio, (0, frames * PER_FRAME - len(audio)))
    crops = np.pad(crops, ((0, frames - len(crops)), (0, 0), (0, 0)))
    mouths = np.pad(mouths, (CONTEXT_FRAMES, frames - len(mouths)), constant_values=NO_MOUTH)
    if rng is not None:
        audio = audio * rng.uniform(0.3, 1.5)
        if rng.random() < NOISY:
            audio = noisy(audio, rng)
        dropped = rng.random()
        if dropped < VIDEO_OFF:
            crops[:] = 0.0  # a black frame, as the engine's blank video
            mouths[:] = NO_MOUTH
        elif dropped < VIDEO_OFF + AUDIO_OFF:
            audio[:] = 0.0
    audio = np.pad(audio, (CONTEXT_FRAMES * PER_FRAME, 0))
    crops = np.pad(crops, ((CONTEXT_FRAMES, 0), (0, 0), (0, 0)))
    return audio.astype(np.float32), ((crops / 255.0 - MEAN) / STD).astype(np.float32), mouths


def loss_of(model: AvModel, items: list[Example], targets: list[list[int]]) -> torch.Tensor:
    frames = torch.tensor([len(v) for _, v, _ in items])
    width = int(frames.max())
    right = SIZE.rnnt["right_context_length"]
    audio = torch.zeros(len(items), (width + right) * PER_FRAME, 1)
    video = torch.zeros(len(items), width + right, 1, 44, 44)
    video[:] = (0.0 - MEAN) / STD  # padding: black frames
    for row, (sound, crops, _) in enumerate(items):
        audio[row, : len(sound), 0] = torch.from_numpy(sound)
        video[row, : len(crops), 0] = torch.from_numpy(crops)
    features = model(audio, video)  # the last ``right`` frames: the last segment's look-ahead
    encodings, lengths = model.model.transcriber(features, frames)
    label_lengths = torch.tensor([len(t) for t in targets], dtype=torch.int32)
    labels = torch.zeros(len(targets), int(label_lengths.max()), dtype=torch.int32)
    for row, target in enumerate(targets):
        labels[row, : len(target)] = torch.tensor(target)
    blank = SIZE.rnnt["num_symbols"] - 1
    predicted, _, _ = model.model.predictor(
        torch.nn.functional.pad(labels, (1, 0), value=blank), label_lengths + 1, None
    )
    logits, _, _ = model.model.joiner(encodings, lengths, predicted, label_lengths + 1)
    return rnnt_loss(logits, labels, lengths.int(), label_lengths, blank)


class Lips(torch.nn.Module):
    """A small head that names the viseme on each crop from the video front end's output.

    Its loss gives the video front end its own warm start: the mouth shapes that the
    talking face draws, which is what the video has to say. Trained on the RNN-T loss
    alone, the linear front end (started small so as not to swamp the sound) had learned
    nothing the transducer used after 3,549 steps: lips alone were at 97 % WER. The head
    is not part of the exported model."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(features, 128), torch.nn.ReLU(), torch.nn.Linear(128, len(VISEMES))
        )

    def loss(self, model: AvModel, items: list[Example]) -> tuple[torch.Tensor, float]:
        """Cross entropy over the frames with a mouth, and the share named right."""
        width = max(len(crops) for _, crops, _ in items)
        video = torch.full((len(items), width, CROP * CROP), (0.0 - MEAN) / STD)
        wanted = torch.full((len(items), width), NO_MOUTH, dtype=torch.long)
        for row, (_, crops, mouths) in enumerate(items):
            video[row, : len(crops)] = torch.from_numpy(crops).flatten(1)
            wanted[row, : len(mouths)] = torch.from_numpy(mouths)
        logits = self.net(model.video_frontend(video))
        seen = wanted != NO_MOUTH
        if not bool(seen.any()):
            return logits.sum() * 0.0, 0.0
        right = float((logits.argmax(-1)[seen] == wanted[seen]).float().mean())
        return torch.nn.functional.cross_entropy(logits[seen], wanted[seen]), right


class Teacher:
    """The tiny Emformer's front end: what its Emformer layers read from a sound, per frame."""

    def __init__(self) -> None:
        files = load_model_dir(TINY)
        self.encoder = files.model.transcriber.eval()
        self.extractor = FeatureExtractor(files.config, files.stats)
        self.rate = files.config.sample_rate

    def targets(self, sounds: list[np.ndarray], frames: list[int]) -> list[torch.Tensor]:
        """Per sound (19.2 kHz), ``frames`` rows at 30 a second: its input layer's output
        after the time reduction, resampled from 25 frames a second."""
        out = []
        with torch.no_grad():
            for sound, count in zip(sounds, frames, strict=True):
                wave = torchaudio.functional.resample(torch.from_numpy(sound), 19_200, self.rate)
                reduced, _ = self.encoder.time_reduction(
                    self.encoder.input_linear(self.extractor(wave)[None]),
                    torch.tensor([0]),
                )
                timed = torch.nn.functional.interpolate(
                    reduced.transpose(1, 2), size=count, mode="linear", align_corners=False
                )
                out.append(timed[0].T)
        return out


def distill_loss(model: AvModel, teacher: Teacher, items: list[Example]) -> torch.Tensor:
    """Mean squared distance of the front ends' output (through the transcriber's input
    layer) from the teacher's, over each sentence's frames."""
    frames = [len(v) for _, v, _ in items]
    width = max(frames)
    audio = torch.zeros(len(items), width * PER_FRAME, 1)
    video = torch.full((len(items), width, 1, 44, 44), (0.0 - MEAN) / STD)
    for row, (sound, crops, _) in enumerate(items):
        audio[row, : len(sound), 0] = torch.from_numpy(sound)
        video[row, : len(crops), 0] = torch.from_numpy(crops)
    student = model.model.transcriber.input_linear(model(audio, video))
    wanted = teacher.targets([sound for sound, _, _ in items], frames)
    errors = [
        torch.mean((student[row, :count] - wanted[row]) ** 2) for row, count in enumerate(frames)
    ]
    return torch.stack(errors).mean()


def batches(data: AvSet, rng: random.Random) -> list[int]:
    chosen: list[int] = []
    seconds = 0.0
    while seconds < BATCH_SECONDS:
        index = rng.randrange(len(data))
        chosen.append(index)
        seconds += len(data.samples(index)) / 19_200
    return chosen


def export(model: AvModel, directory: Path) -> None:
    """The engine's directory: the scripted model (fp16 weights), the tokenizer, the hints."""
    directory.mkdir(parents=True, exist_ok=True)
    copy = AvModel(SIZE)
    copy.load_state_dict(model.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.script(copy.eval().half()).save(str(directory / MODEL_FILE))
    (directory / TOKENIZER_FILE).write_bytes((TINY / "tokenizer.model").read_bytes())
    (directory / HINTS_FILE).write_text(json.dumps({"window_state": "carry"}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()
    train = build_set(make_utterances(SENTENCES, TRAIN_SEED), TRAIN_SEED)
    build_set(make_utterances(HELD_OUT, HELD_OUT_SEED), HELD_OUT_SEED)
    train.visemes(0)  # the lips' labels, made once before the model's threads start
    log(f"data: {len(train)} sentences ({(time.monotonic() - started) / 60:.1f} min)")
    pieces = spm.SentencePieceProcessor(model_file=str(TINY / "tokenizer.model"))
    targets = [pieces.encode(u.text) for u in train.utterances]
    model = build_model().train()
    log(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    optimizer = torch.optim.Adam(model.parameters(), lr=PEAK_LR, betas=(0.9, 0.98))
    checkpoint = WORK_DIR / "checkpoint.pt"
    step, spent = resume(checkpoint, model, optimizer, log)
    lips = Lips(SIZE.channels[-1]).train()
    lips_optimizer = torch.optim.Adam(lips.parameters(), lr=PEAK_LR, betas=(0.9, 0.98))
    lips_checkpoint = WORK_DIR / "lips.pt"
    resume(lips_checkpoint, lips, lips_optimizer, log)
    rng = random.Random(TRAIN_SEED * 1000 + step)
    teacher = Teacher()
    budget = args.minutes * 60
    clock = time.monotonic() - spent
    losses: list[float] = []
    mouths: list[tuple[float, float]] = []
    while (spent := time.monotonic() - clock) < budget:
        progress = spent / budget
        lr = (
            PEAK_LR
            * min(1.0, (step + 1) / WARMUP)
            * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
        )
        for group in [*optimizer.param_groups, *lips_optimizer.param_groups]:
            group["lr"] = lr
        chosen = batches(train, rng)
        if progress < DISTILL:  # clean sound: the teacher hears only that
            items = [example(train, i, None) for i in chosen]
            loss = distill_loss(model, teacher, items)
        else:
            items = [example(train, i, rng) for i in chosen]
            loss = loss_of(model, items, [targets[i] for i in chosen])
        mouth_loss, named = lips.loss(model, items)
        optimizer.zero_grad()
        lips_optimizer.zero_grad()
        (loss + VISEME_WEIGHT * mouth_loss).backward()
        torch.nn.utils.clip_grad_norm_([*model.parameters(), *lips.parameters()], 10.0)
        optimizer.step()
        lips_optimizer.step()
        step += 1
        losses.append(float(loss.detach()))
        mouths.append((float(mouth_loss.detach()), named))
        if step % 25 == 0:
            mouth_mean, named_mean = np.mean(mouths, axis=0)
            log(
                f"step {step} ({spent / 60:.1f} min) loss {np.mean(losses):.3f} lr {lr:.2e} "
                f"visemes {mouth_mean:.3f} ({named_mean:.0%} named)"
            )
            losses, mouths = [], []
        if step % 100 == 0:
            save(checkpoint, model, optimizer, step, spent)
            save(lips_checkpoint, lips, lips_optimizer, step, spent)
            export(model, WORK_DIR / "latest")
    log(f"trained {step} steps in {spent / 60:.1f} min")
    export(model, MODEL_DIR)
    sizes = {p.name: p.stat().st_size for p in MODEL_DIR.iterdir()}
    log(f"wrote {MODEL_DIR}: {sizes}")


if __name__ == "__main__":
    main()
