"""Every engine on the same audio in one run: compute, RTF, and how long until words are final.

    python -m bench.engines [--seconds 60] [--sentences 40] [--threads 1 2]
    python -m bench.engines --parts compute --engines emformer sherpa-70m --seconds 10

Compute: random-initialised base-size models of each engine (Emformer RNN-T
base, 77 M parameters; wav2vec2 base, 94 M; for sherpa-onnx, a random model of
the 70 M LibriSpeech+GigaSpeech zipformer's size and contract, built into
``.work/bench/`` on first use), int8 and fp32, and the tiny trained Emformer
and sherpa-onnx models, on one thread and on two, on the same espeak-ng
speech, stream by stream in turn, beam 4 (the default). Printed per
configuration: ms per chunk (p50/p95), ms of compute per second of audio and
RTF; a sherpa-onnx chunk is its model's own (320 ms for the zipformer), so
compare those by RTF. The audio-visual engine (seed 001's device model's
size, 24.7 M) runs on a talking face made from a photo, its face detection
and crops timed with it.

Time to text: the two tiny trained models (known words), the felt delay of
``bench.latency`` (from each word's end to the first partial that shows it and
to its final line).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.latency import TINY_MODELS, load_model, report_felt, run_felt, speech_chunks, timed
from bench.sherpa_models import TINY_SHERPA, random_70m
from tools.random_model import make_random_model
from tools.random_wav2vec2 import make_random_wav2vec2
from tui_captions.asr.engine import DecodeOptions
from tui_captions.asr.runtime import configure_threads
from tui_captions.core.stats import percentile

ENGINES = ("emformer", "wav2vec2", "sherpa-70m", "emformer-tiny", "sherpa-tiny")
PARTS = ("compute", "av", "text")


@dataclass(frozen=True)
class Subject:
    """One model directory to time, and its weights: int8 or "none" (fp32) for the torch
    engines; a sherpa-onnx directory's own files decide (int8 where it has them)."""

    name: str
    directory: Path
    quantize: str


def subjects(engines: Sequence[str], work: Path, tiny_sherpa: Path) -> list[Subject]:
    """What ``--engines`` names, random base-size models written (or, for sherpa-onnx's
    70 M zipformer, found in ``.work/bench/``) as needed."""
    found: list[Subject] = []
    for engine in engines:
        if engine == "emformer":
            make_random_model(work / "emformer-base", size="base", blank_bias=4.0)
            found += [Subject("emformer base", work / "emformer-base", q) for q in ("int8", "none")]
        elif engine == "wav2vec2":
            make_random_wav2vec2(work / "wav2vec2-base", size="base", blank_bias=2.0)
            found += [Subject("wav2vec2 base", work / "wav2vec2-base", q) for q in ("int8", "none")]
        elif engine == "sherpa-70m":
            found += [
                Subject("sherpa 70m zipformer", random_70m(int8=True), "int8"),
                Subject("sherpa 70m zipformer", random_70m(int8=False), "none"),
            ]
        elif engine == "emformer-tiny":
            found.append(Subject("emformer tiny", TINY_MODELS[0], "int8"))
        elif tiny_sherpa.is_dir():
            found.append(Subject("sherpa tiny", tiny_sherpa, "int8"))
        else:
            print(f"{tiny_sherpa}: missing, skipped")
    return found


def compute(
    configurations: Sequence[Subject], threads: Sequence[int], seconds: float, work: Path
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for count in threads:
        for subject in configurations:
            model = load_model(str(subject.directory), subject.quantize, count)
            chunk_s = model.format.chunk_seconds
            chunks = speech_chunks(work, seconds, model.format.chunk_samples, 16000)
            stream = model.create_stream(DecodeOptions())
            times = timed(stream.accept, chunks)
            rows.append(
                {
                    "engine": subject.name,
                    "quantize": model.run.quantize,
                    "threads": count,
                    "chunk_s": chunk_s,
                    "p50_ms": round(percentile(times, 50), 1),
                    "p95_ms": round(percentile(times, 95), 1),
                    "ms_per_audio_s": round(sum(times) / (len(times) * chunk_s), 1),
                    "rtf": round(sum(times) / 1000 / (len(times) * chunk_s), 3),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def av_compute(seconds: float, work: Path) -> dict[str, object]:
    """The audio-visual engine on a talking face: a random model of the device model's size
    (its joiner leaning to blank, as a trained model's), beam 10, fp32, one thread; each
    window's face detection and crops (the capture worker's work) timed with it."""
    import random
    import time

    import av

    from tools.avsr_model import DEVICE, build, train_tokenizer, write_model_dir
    from tools.talking_face import make_clip
    from tools.tiny_model.data import load_vocabulary
    from tui_captions.asr.avsr.engine import AV_FORMAT
    from tui_captions.audio.decode import FRAME_WIDTH, decode_audio
    from tui_captions.audio.video import FaceCrops

    rng = random.Random(0)
    words = load_vocabulary()
    tokenizer = train_tokenizer([" ".join(rng.sample(words, 8)) for _ in range(3000)], 1023)
    directory = write_model_dir(
        work / "av-device", build(DEVICE, symbols=1024, blank_bias=4.0), tokenizer
    )
    clip = make_clip(work / "talk.mp4", " ".join(rng.sample(words, 12)))
    with av.open(str(clip)) as container:
        frames = [
            f.reformat(width=FRAME_WIDTH, height=FRAME_WIDTH, format="rgb24").to_ndarray()
            for f in container.decode(video=0)
        ]
    speech = np.concatenate(list(decode_audio(str(clip), AV_FORMAT.sample_rate)))
    windows = int(seconds / AV_FORMAT.chunk_seconds)
    model = load_model(str(directory), "none")
    stream = model.create_stream(DecodeOptions(beam=10))
    crops = FaceCrops()
    crop_ms, engine_ms, faces = [], [], 0
    for index in range(windows):
        started = time.perf_counter()
        batch = [crops.push(frames[(index * 32 + k) % len(frames)]) for k in range(32)]
        video = np.stack([c if c is not None else np.zeros((44, 44), np.uint8) for c in batch])
        faces += sum(c is not None for c in batch)
        crop_ms.append((time.perf_counter() - started) * 1000)
        samples = np.resize(
            np.roll(speech, -index * AV_FORMAT.chunk_samples), AV_FORMAT.chunk_samples
        )
        engine_ms.append(stream.accept(samples, video=video).compute_ms)
    window_s = AV_FORMAT.chunk_seconds
    total = [c + e for c, e in zip(crop_ms, engine_ms, strict=True)]
    row = {
        "engine": "av-rnnt",
        "quantize": "none",
        "chunk_s": round(window_s, 3),
        "faces": f"{faces}/{windows * 32}",
        "crops_ms_per_window": round(float(np.mean(crop_ms)), 1),
        "engine_p50_ms": round(percentile(engine_ms, 50), 1),
        "p50_ms": round(percentile(total, 50), 1),
        "p95_ms": round(percentile(total, 95), 1),
        "rtf": round(sum(total) / 1000 / (windows * window_s), 3),
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio per compute run")
    parser.add_argument("--sentences", type=int, default=40, help="sentences for time to final")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--engines", nargs="+", choices=ENGINES, default=list(ENGINES), help="what compute times"
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="for compute")
    parser.add_argument(
        "--tiny-sherpa", type=Path, default=TINY_SHERPA, help="the tiny sherpa-onnx model"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if "compute" in args.parts:
            print("compute: random base models and the tiny trained ones, the same speech")
            compute(
                subjects(args.engines, work, args.tiny_sherpa), args.threads, args.seconds, work
            )
        configure_threads(1)
        if "av" in args.parts:
            print("audio-visual: a random device-size model on a talking face, crops included")
            av_compute(args.seconds, work)
    if "text" in args.parts:
        print("time to text: the tiny trained models (int8)")
        report_felt(run_felt([str(d) for d in TINY_MODELS], args.sentences, "int8"))


if __name__ == "__main__":
    main()
