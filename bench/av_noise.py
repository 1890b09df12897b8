"""The tiny audio-visual model through `captions-tui transcribe`: WER with and without video
as noise drowns the sound.

    python -m bench.av_noise [--sentences 40] [--snr clean 10 5 0 -5] [--model DIR]

Held-out sentences of the tiny vocabulary (the seed training never used), in
their voices, spoken by a talking face (``tools.talking_face``) as one clip
with pauses; white noise at each SNR is mixed into the sound only (the
camera does not hear the room). Each clip is captioned by the installed
command as a user would run it, with the video and with ``--video off``
(zeros where the mouth would be). Last, the sound silenced: the lips alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tools.tiny_av.clips import clip, clip_wer, talking_sentences
from tools.tiny_av.train import HELD_OUT, HELD_OUT_SEED, MODEL_DIR
from tools.tiny_model.data import make_utterances


def transcribe(model: Path, path: Path, *options: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tui_captions.cli", "transcribe", str(path),
         "--model", str(model), "--raw", "--format", "text", *options],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"transcribe failed: {result.stderr}")
    return " ".join(result.stdout.lower().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--snr", nargs="+", default=["clean", "10", "5", "0", "-5"])
    parser.add_argument(
        "--model", type=Path, default=MODEL_DIR, help="the model directory (default: the recipe's)"
    )
    args = parser.parse_args()
    utterances = make_utterances(HELD_OUT, HELD_OUT_SEED)[: args.sentences]
    sound, frames = talking_sentences(utterances, seed=HELD_OUT_SEED)
    words = sum(len(u.text.split()) for u in utterances)
    print(f"{len(utterances)} held-out sentences, {words} words, {len(sound) / 19_200:.0f} s")
    print(f"{'sound':>14} {'WER video':>10} {'WER --video off':>16} {'relative':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.snr:
            snr = None if name == "clean" else float(name)
            path = clip(Path(folder) / f"{name}.mp4", sound, frames, snr)
            seen = clip_wer(utterances, transcribe(args.model, path))
            blind = clip_wer(utterances, transcribe(args.model, path, "--video", "off"))
            label = "clean" if snr is None else f"{snr:g} dB SNR"
            lower = (blind - seen) / blind if blind else 0.0
            print(f"{label:>14} {seen:>10.1%} {blind:>16.1%} {lower:>8.0%} lower")
        silent = clip(Path(folder) / "silent.mp4", sound, frames, -np.inf)
        lips = clip_wer(utterances, transcribe(args.model, silent))
        nothing = clip_wer(utterances, transcribe(args.model, silent, "--video", "off"))
        print(f"{'silenced':>14} {lips:>10.1%} {nothing:>16.1%}   (the lips alone)")


if __name__ == "__main__":
    main()
