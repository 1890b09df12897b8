"""Both engines on the same audio in one run: compute, RTF, and how long until words are final.

    python -m bench.engines [--seconds 60] [--sentences 40]

Compute: random-initialised base-size models of each engine (Emformer RNN-T
base, 77 M parameters; wav2vec2 base, 94 M), int8 and fp32, one torch thread,
on the same espeak-ng speech, stream by stream in turn. Printed per
configuration: ms per chunk (p50/p95), ms of compute per second of audio and
RTF. The audio-visual engine (seed 001's device model's size, 24.7 M) runs on
a talking face made from a photo, its face detection and crops timed with it.

Time to text: the two tiny trained models (known words), the felt delay of
``bench.latency`` (from each word's end to the first partial that shows it and
to its final line).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from bench.latency import TINY_MODELS, load_model, report_felt, run_felt, speech_chunks, timed
from tools.random_model import make_random_model
from tools.random_wav2vec2 import make_random_wav2vec2
from tui_captions.asr.engine import DecodeOptions
from tui_captions.asr.runtime import configure_threads
from tui_captions.core.stats import percentile


def compute(directories: dict[str, Path], seconds: float, work: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for quantize in ("int8", "none"):
        for engine, directory in directories.items():
            model = load_model(str(directory), quantize)
            chunk_s = model.format.chunk_seconds
            chunks = speech_chunks(work, seconds, model.format.chunk_samples, 16000)
            stream = model.create_stream(DecodeOptions())
            times = timed(stream.accept, chunks)
            rows.append(
                {
                    "engine": engine,
                    "quantize": quantize,
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
    args = parser.parse_args()
    configure_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        emformer, wav2vec2 = work / "emformer-base", work / "wav2vec2-base"
        make_random_model(emformer, size="base", blank_bias=4.0)
        make_random_wav2vec2(wav2vec2, size="base", blank_bias=2.0)
        print("compute: random base models, 1 thread, the same speech")
        compute({"rnnt": emformer, "ctc": wav2vec2}, args.seconds, work)
        print("audio-visual: a random device-size model on a talking face, crops included")
        av_compute(args.seconds, work)
    print("time to text: the tiny trained models (int8)")
    report_felt(run_felt([str(d) for d in TINY_MODELS], args.sentences, "int8"))


if __name__ == "__main__":
    main()
