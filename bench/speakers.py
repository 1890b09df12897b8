"""Speaker labels on synthetic conversations: DER by speakers and turn length, and cost.

    python -m bench.speakers [--model tests/fixtures/tiny-speakers] [--seeds 3] [--seconds 60]
    python -m bench.speakers --sample     (also the real pyannote sample: VAD F1, what the
                                           tiny model makes of two real voices)

Held-out espeak-ng voices saying held-out sentences (tools/tiny_speakers/conversations.py)
go through the live labeller in 100 ms chunks, as a capture worker hands them on. DER is
pyannote.metrics' (0.25 s collar, overlap excluded). Cost: embedding and clustering time
per second of speech embedded, and per second of audio (VAD included), on this machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from pyannote.core import Segment
from pyannote.metrics.detection import DetectionPrecisionRecallFMeasure
from pyannote.metrics.diarization import DiarizationErrorRate

from tests.speaker_audio import TINY_SPEAKERS, annotation, pyannote_sample
from tools.tiny_speakers.conversations import Conversation, conversation, distinct_speakers
from tui_captions.speakers.embedding import SpeakerEmbedder
from tui_captions.speakers.labeller import SpeakerLabeller
from tui_captions.speakers.vad import SAMPLE_RATE, speech_regions

TURN_LENGTHS = {
    "short (1-3 s)": (1.0, 3.0),
    "long (4-10 s)": (4.0, 10.0),
    "mixed (1-10 s)": (1.0, 10.0),
}
CHUNK = SAMPLE_RATE // 10


def label(embedder: SpeakerEmbedder, audio: np.ndarray) -> tuple[SpeakerLabeller, float]:
    labeller = SpeakerLabeller(embedder)
    began = time.perf_counter()
    for first in range(0, len(audio), CHUNK):
        labeller.accept(audio[first : first + CHUNK], first / SAMPLE_RATE)
    labeller.finish()
    return labeller, time.perf_counter() - began


def der(talk: Conversation, labeller: SpeakerLabeller) -> float:
    reference = annotation((t.start, t.end, t.speaker) for t in talk.turns)
    hypothesis = annotation((t.start, t.end, t.speaker or "") for t in labeller.turns())
    metric = DiarizationErrorRate(collar=0.25, skip_overlap=True)
    return float(metric(reference, hypothesis, uem=Segment(0, talk.seconds)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=TINY_SPEAKERS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sample", action="store_true")
    args = parser.parse_args()
    embedder = SpeakerEmbedder(args.model)
    results = []
    embed_per_speech, total_per_audio = [], []
    for speakers in (2, 3, 4):
        for name, turn_s in TURN_LENGTHS.items():
            scores = []
            for seed in range(args.seeds):
                case = 1000 * speakers + seed
                talk = conversation(distinct_speakers(speakers, case), case, args.seconds, turn_s)
                labeller, elapsed = label(embedder, talk.audio)
                scores.append(der(talk, labeller))
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
        metric = DiarizationErrorRate(collar=0.25, skip_overlap=True)
        hypothesis = annotation((t.start, t.end, t.speaker or "") for t in labeller.turns())
        print(
            json.dumps(
                {
                    "sample_vad_f1": round(
                        DetectionPrecisionRecallFMeasure()(reference, speech, uem=uem), 4
                    ),
                    "sample_der_tiny_model": round(
                        float(metric(reference, hypothesis, uem=uem)), 4
                    ),
                    "sample_speakers_found": len({t.speaker for t in labeller.turns()}),
                }
            )
        )


if __name__ == "__main__":
    main()
