"""``captions-tui transcribe``: a file through the streaming recognizer, as fast as it goes."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from tui_captions.commands.options import (
    add_model_options,
    add_output_options,
    add_raw_option,
    add_speaker_options,
    add_video_option,
)
from tui_captions.commands.setup import (
    load_model,
    load_post,
    output_format,
    read_settings,
    speaker_model,
    warn,
)
from tui_captions.errors import AudioSourceError
from tui_captions.transcript.formats import STREAM_FORMATS, SegmentWriter, open_writer
from tui_captions.transcript.output import check_output, written_whole

if TYPE_CHECKING:
    import numpy as np

    from tui_captions.asr.engine import AsrModel, DecodeOptions, StreamFormat
    from tui_captions.audio.decode import DecodedAudio
    from tui_captions.config import Settings
    from tui_captions.core.segments import Segment
    from tui_captions.pipeline.session import ReadableLines
    from tui_captions.speakers.labeller import SpeakerLabeller


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "transcribe",
        help="transcribe an audio file (any format FFmpeg reads)",
        description="Run an audio file chunk by chunk through the same streaming recognizer "
        "the live captions use, as fast as the CPU allows, and print final segments.",
    )
    parser.add_argument("audio", help="audio file or URL")
    add_model_options(parser)
    add_output_options(parser, STREAM_FORMATS)
    add_raw_option(parser)
    add_video_option(parser)
    add_speaker_options(parser)
    parser.add_argument(
        "--stats", action="store_true", help="print per-chunk compute figures as JSON on stderr"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # torch is imported here, not at start-up, so `--help` and errors stay fast.
    from tui_captions.audio.decode import DecodedAudio
    from tui_captions.core.stats import compute_summary
    from tui_captions.pipeline.session import ReadableLines

    # A bad file, format or output path fails in milliseconds, before the model loads.
    fmt = output_format(args, "transcribe", STREAM_FORMATS)
    audio = DecodedAudio(args.audio)
    if args.output is not None:
        check_output(args.output)
    settings = read_settings()
    labeller = _speaker_labeller(args, settings)
    model, decode, settings = load_model(args, settings)
    if model.format.wants_video:  # the file's video too: fails now if it has none
        audio.close()
        audio = DecodedAudio(args.audio, video=True)
    lines = (
        None if args.raw else ReadableLines(load_post(args.punctuation, settings, model.writing))
    )
    with ExitStack() as stack:
        out: TextIO = stack.enter_context(written_whole(args.output)) if args.output else sys.stdout
        readable = _Readable(open_writer(fmt, out, raw=args.raw), lines)
        writer = (
            readable
            if labeller is None
            else _Labelled(readable, labeller, model.format.sample_rate)
        )
        done = _transcribe(audio, model, decode, writer, labeller)
        writer.close()
    if model.format.wants_video and not done.faces:
        warn(f"{args.audio}: no face was found in the video; captioned from the audio alone")
    if args.stats:
        summary = {
            "compute": model.run.compute,
            "quantize": model.run.quantize,
            **compute_summary(done.compute_ms, model.format.chunk_seconds),
        }
        if model.format.wants_video:
            summary |= {"frames": done.frames, "faces": done.faces}
        print(json.dumps(summary), file=sys.stderr)
    if done.failure is not None:
        raise done.failure
    return 130 if done.interrupted else 0


def _speaker_labeller(args: argparse.Namespace, settings: Settings) -> SpeakerLabeller | None:
    """``--speakers`` (or the setting): the labeller, its models checked before the
    recognizer loads."""
    model = speaker_model(args, settings)
    if model is None:
        return None
    from tui_captions.speakers.embedding import SpeakerEmbedder
    from tui_captions.speakers.labeller import SpeakerLabeller

    return SpeakerLabeller(SpeakerEmbedder(model))


class _Labelled:
    """``--speakers``: each final line held until its speaker is known, then to ``writer``
    (the labeller hears the file's audio through the recognizer's stream, on this thread:
    a file needs no other)."""

    def __init__(self, writer: _Readable, labeller: SpeakerLabeller, rate: int) -> None:
        from tui_captions.speakers.labeller import check_rate
        from tui_captions.speakers.lines import LabelledLines

        check_rate(rate)
        self._writer = writer
        self._labeller = labeller
        self._lines = LabelledLines(labeller)

    def write(self, segment: Segment) -> None:
        self._lines.add(segment)

    def flush(self) -> None:
        """The lines whose speakers have settled, written."""
        for segment in self._lines.ready():
            self._writer.write(segment)

    def close(self) -> None:
        self._labeller.finish()
        for segment in self._lines.finish():
            self._writer.write(segment)
        if self._labeller.failed:
            warn("speaker labels stopped part-way (the log file says why); lines after have none")
        self._writer.close()


class _Readable:
    """Each final line made readable by the session's text step (as live captions make it)
    on its way to ``writer``; none with ``--raw``."""

    def __init__(self, writer: SegmentWriter, lines: ReadableLines | None) -> None:
        self._writer = writer
        self._lines = lines

    def write(self, segment: Segment) -> None:
        if self._lines is not None:
            display = self._lines.final(segment.channel, segment.text)
            segment = dataclasses.replace(segment, display=display)
        self._writer.write(segment)

    def flush(self) -> None:
        """Nothing is held: each line went out as it came."""

    def close(self) -> None:
        self._writer.close()


@dataclass
class _Done:
    compute_ms: list[float] = field(default_factory=list)
    interrupted: bool = False
    failure: AudioSourceError | None = None  # decoding failed part-way: its text is kept
    frames: int = 0  # an audio-visual model: video frames read, and how many showed a face
    faces: int = 0


def _transcribe(
    audio: DecodedAudio,
    model: AsrModel,
    decode: DecodeOptions,
    writer: _Readable | _Labelled,
    labeller: SpeakerLabeller | None,
) -> _Done:
    """Decode ``audio`` to the end, a Ctrl+C or a decoding failure, writing each final line
    (``labeller`` hears each chunk after its step, as live captions hand it on)."""
    from tui_captions.pipeline.channel import tapped
    from tui_captions.pipeline.speakers import SpeakerTap

    speakers = None if labeller is None else SpeakerTap(labeller)
    recognizer = tapped(model.create_stream(decode), speakers=speakers)
    done = _Done()
    try:
        for samples, crops, faces in _chunks(audio, model.format):
            done.frames += 0 if crops is None else len(crops)
            done.faces += faces
            step = recognizer.accept(samples, video=crops)
            done.compute_ms.append(step.compute_ms)
            for segment in step.finals:
                writer.write(segment)
            writer.flush()
    except KeyboardInterrupt:
        done.interrupted = True
    except AudioSourceError as exc:
        if not done.compute_ms:  # nothing was heard: no transcript to keep
            raise
        done.failure = AudioSourceError(f"{exc}; the text before it was written")
    for segment in recognizer.finish():
        writer.write(segment)
    return done


def _chunks(
    audio: DecodedAudio, stream_format: StreamFormat
) -> Iterator[tuple[np.ndarray, np.ndarray | None, int]]:
    """The file's chunks: samples, and for an audio-visual model their face crops."""
    from tui_captions.audio.decode import fixed_chunks
    from tui_captions.audio.video import chunks_with_video

    rate, size = stream_format.sample_rate, stream_format.chunk_samples
    if not stream_format.wants_video:
        for samples in fixed_chunks(audio.blocks(rate), size):
            yield samples, None, 0
        return
    fps, frames = stream_format.video_fps, stream_format.frames_per_chunk
    for chunk in chunks_with_video(audio, rate, size, fps, frames):
        yield chunk.samples, chunk.crops, chunk.faces
