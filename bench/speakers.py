"""Speaker labels on synthetic conversations: DER by speakers and turn length, and cost.

    python -m bench.speakers [--model tests/fixtures/tiny-speakers] [--seeds 3] [--seconds 60]
    python -m bench.speakers --sample     (also the real pyannote sample: VAD F1, what the
                                           tiny model makes of two real voices)
    python -m bench.speakers --captions 30   (the captions' per-chunk p95, labels off and on)

Held-out espeak-ng voices saying held-out sentences (tools/tiny_speakers/conversations.py)
go through the live labeller in 100 ms chunks, as a capture worker hands them on. DER is
pyannote.metrics' (0.25 s collar, overlap excluded). Cost: embedding and clustering time
per second of speech embedded, and per second of audio (VAD included), on this machine.
With ``--captions S``: the tiny Emformer captions S seconds of a conversation paced as a
live capture hands chunks over, alone and then with the labeller on its own thread
fed as the app feeds it (after each step), in turns (``--rounds``); its per-chunk compute
p95 each way, pooled and per round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from pyannote.core import Segment
from pyannote.metrics.detection import DetectionPrecisionRecallFMeasure

from bench.latency import TINY_MODELS, load_model, paced_compute
from tests.speaker_audio import (
    TINY_SPEAKERS,
    annotation,
    diarization_error,
    feed,
    pyannote_sample,
    talk_turns,
)
from tools.tiny_speakers.conversations import conversation, distinct_speakers
from tui_captions.asr.engine import DecodeOptions
from tui_captions.core.stats import percentile
from tui_captions.pipeline.speakers import ListenedStream, SpeakerTap
from tui_captions.speakers.embedding import SpeakerEmbedder
from tui_captions.speakers.labeller import SpeakerLabeller
from tui_captions.speakers.vad import SAMPLE_RATE, speech_regions

TURN_LENGTHS = {
    "short (1-3 s)": (1.0, 3.0),
    "long (4-10 s)": (4.0, 10.0),
    "mixed (1-10 s)": (1.0, 10.0),
}


def label(embedder: SpeakerEmbedder, audio: np.ndarray) -> tuple[SpeakerLabeller, float]:
    labeller = SpeakerLabeller(embedder)
    began = time.perf_counter()
    feed(labeller, audio)
    labeller.finish()
    return labeller, time.perf_counter() - began


def captions_p95(embedder: SpeakerEmbedder, seconds: float, rounds: int) -> dict[str, Any]:
    """The recognizer's per-chunk compute p95 without and with the labeller fed as the app
    feeds it (:class:`ListenedStream`), in alternating runs: per round and over all."""
    model = load_model(str(TINY_MODELS[0]), "int8")  # the tiny Emformer, on one thread
    size, period = model.format.chunk_samples, model.format.chunk_seconds
    talk = conversation(distinct_speakers(3, 77), 77, seconds)
    chunks = [talk.audio[i : i + size] for i in range(0, len(talk.audio) - size + 1, size)]
    paced_compute(model.create_stream(DecodeOptions()), chunks, None)  # warm-up, not counted
    runs: dict[str, list[list[float]]] = {"off": [], "on": []}
    for _ in range(rounds):
        runs["off"].append(paced_compute(model.create_stream(DecodeOptions()), chunks, period))
        labeller = SpeakerLabeller(embedder)
        labeller.start()
        listened = ListenedStream(model.create_stream(DecodeOptions()), SpeakerTap(labeller))
        runs["on"].append(paced_compute(listened, chunks, period))
        labeller.finish()
    per_round = [
        round(percentile(on, 95) / percentile(off, 95), 3)
        for off, on in zip(runs["off"], runs["on"], strict=True)
    ]
    p95 = {name: percentile([t for run in times for t in run], 95) for name, times in runs.items()}
    return {
        "chunks_per_run": len(chunks),
        "captions_p95_ms_labels_off": round(p95["off"], 2),
        "captions_p95_ms_labels_on": round(p95["on"], 2),
        "ratio": round(p95["on"] / p95["off"], 3),
        "ratio_per_round": per_round,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=TINY_SPEAKERS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--captions", type=float, metavar="S")
    parser.add_argument("--rounds", type=int, default=3, help="with --captions: off/on pairs")
    args = parser.parse_args()
    embedder = SpeakerEmbedder(args.model)
    if args.captions:
        print(json.dumps(captions_p95(embedder, args.captions, args.rounds)), flush=True)
        return
    results = []
    embed_per_speech, total_per_audio = [], []
    for speakers in (2, 3, 4):
        for name, turn_s in TURN_LENGTHS.items():
            scores = []
            for seed in range(args.seeds):
                case = 1000 * speakers + seed
                talk = conversation(distinct_speakers(speakers, case), case, args.seconds, turn_s)
                labeller, elapsed = label(embedder, talk.audio)
                scores.append(diarization_error(talk_turns(talk), labeller, talk.seconds))
                embed_per_speech.append(labeller.embedding_time / labeller.seconds_embedded)
                total_per_audio.append(elapsed / talk.seconds)
            row = {
                "speakers": speakers,
                "turns": name,
                "der_mean": round(statistics.mean(scores), 4),
                "der_max": round(max(scores), 4),
                "conversations": len(scores),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    print(
        json.dumps(
            {
                "embedding_and_clustering_s_per_s_of_speech": round(
                    statistics.median(embed_per_speech), 4
                ),
                "labeller_s_per_s_of_audio_vad_included": round(
                    statistics.median(total_per_audio), 4
                ),
                "overall_der_mean": round(statistics.mean(r["der_mean"] for r in results), 4),
            }
        )
    )
    if args.sample:
        audio, reference = pyannote_sample()
        uem = Segment(0, len(audio) / SAMPLE_RATE)
        speech = annotation((r.start, r.end, "speech") for r in speech_regions(audio))
        labeller, _ = label(embedder, audio)
        print(
            json.dumps(
                {
                    "sample_vad_f1": round(
                        DetectionPrecisionRecallFMeasure()(reference, speech, uem=uem), 4
                    ),
                    "sample_der_tiny_model": round(
                        diarization_error(reference, labeller, len(audio) / SAMPLE_RATE), 4
                    ),
                    "sample_speakers_found": len({t.speaker for t in labeller.turns()}),
                }
            )
        )


if __name__ == "__main__":
    main()
