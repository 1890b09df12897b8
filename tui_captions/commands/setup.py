"""The steps the commands share before their work: settings, sources, the model and the
text post-processor, each failing in one line (a ``UserError``) before slow work."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from tui_captions.asr.defaults import (
    DownloadProgress,
)
from tui_captions.commands.options import SourceSpec, listed_names
from tui_captions.errors import UserError
from tui_captions.transcript.formats import (
    TranscriptFormat,
    find_format,
    format_of_file,
)

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel, DecodeOptions
    from tui_captions.audio.protocol import Source
    from tui_captions.config import HotwordChoice, Settings
    from tui_captions.core.writing import Writing
    from tui_captions.pipeline.session import LabelledSource, Role
    from tui_captions.speakers.labeller import SpeakerLabeller
    from tui_captions.text.postprocess import TextPostProcessor


stderr = Console(stderr=True)


def warn(message: str) -> None:
    """A problem that does not stop the command: one line on stderr, work goes on."""
    print(f"captions-tui: warning: {message}", file=sys.stderr, flush=True)


def resolve_sources(args: argparse.Namespace) -> list[LabelledSource]:
    """The sources the options name, labelled, and checked before the (slow) model load."""
    from tui_captions.audio.decode import DecodedAudio, check_input_format
    from tui_captions.audio.devices import find_device, list_devices
    from tui_captions.audio.protocol import FfmpegSource
    from tui_captions.core.names import short_name
    from tui_captions.pipeline.session import ROLE_LABELS, LabelledSource, unique_labels

    specs: list[SourceSpec] = args.sources or []
    if (args.input_format or args.input_option) and all(s.kind == "device" for s in specs):
        raise UserError("--input-format and --input-option go with --input, not --device")
    devices = list_devices() if any(s.kind == "device" for s in specs) else []
    found: list[tuple[Source, str, Role]] = []
    for spec in specs:
        if spec.kind == "device":
            device = find_device(spec.value, devices)
            role: Role = "system" if device.monitor else "microphone"
            found.append((device.source(), spec.label or ROLE_LABELS[role], role))
            continue
        source = FfmpegSource(
            spec.value, args.input_format, dict(args.input_option), speed=args.input_speed
        )
        check_input_format(spec.value, args.input_format)
        if args.input_format is None and "://" not in spec.value:
            # A local file: open it once here so a bad path or format fails in
            # milliseconds; devices and URLs are opened only by the worker.
            DecodedAudio(spec.value).close()
        found.append((source, spec.label or short_name(spec.value), "other"))
    labels = unique_labels([label for _, label, _ in found])
    sources = [
        LabelledSource(source, label, role)
        for (source, _, role), label in zip(found, labels, strict=True)
    ]
    return with_camera(sources, args)


def with_camera(sources: list[LabelledSource], args: argparse.Namespace) -> list[LabelledSource]:
    """``--camera`` beside the one source it goes with."""
    from tui_captions.audio.decode import check_input_format
    from tui_captions.audio.protocol import Camera
    from tui_captions.pipeline.session import beside

    if args.camera is None:
        if args.camera_format or args.camera_option:
            raise UserError("--camera-format and --camera-option go with --camera")
        return sources
    input_format = args.camera_format or ("v4l2" if args.camera.startswith("/dev/video") else None)
    check_input_format(args.camera, input_format)
    return beside(sources, Camera(args.camera, input_format, dict(args.camera_option)))


def output_format(args: argparse.Namespace, command: str, writes: Sequence[str]) -> str:
    """The name of the format ``--format`` names, else the one the ``-o`` file's suffix
    names, else text; one line for a ``--format`` the file name contradicts, or a format
    the command does not write."""
    output: Path | None = getattr(args, "output", None)
    named = find_format(args.format) if args.format else None
    suffixed = format_of_file(output) if output is not None else None
    if named is not None and suffixed is not None and named is not suffixed:
        raise UserError(
            f"--format {args.format} contradicts the file name {output}, which says "
            f"{suffixed.name}: leave out --format, or name the file .{named.suffix}"
        )
    chosen: TranscriptFormat = named or suffixed or find_format("text")
    if chosen.name not in writes:
        raise UserError(
            f"`{command}` writes {listed_names(writes)}, not {chosen.name}; `captions-tui export` "
            f"writes a saved session (from `live` or the app) as {chosen.name}"
        )
    return chosen.name


def hotword_choice(args: argparse.Namespace) -> HotwordChoice:
    from tui_captions.config import HotwordChoice

    return HotwordChoice(
        args.hotwords, args.hotwords_file, args.hotword_score, not args.no_watch_hotwords
    )


def load_post(
    option: str | None, settings: Settings, writing: Writing | None = None
) -> TextPostProcessor:
    """The punctuation model the option or the settings name (downloaded with a progress
    bar the first time), as the recognizer's ``writing`` needs it (none for a model that
    punctuates); one warning and sentence case only if it cannot be used."""
    from tui_captions.text.catalog import open_post_processor

    spec, notice = settings.punctuation_choice(option, warn)
    with download_progress() as progress:
        return open_post_processor(spec, notice, progress, writing=writing)


@contextmanager
def download_progress() -> Iterator[DownloadProgress]:
    """A rich progress bar on stderr that appears only if a download actually happens."""
    progress: Progress | None = None
    tasks: dict[str, TaskID] = {}

    def update(label: str, done: int, total: int | None) -> None:
        nonlocal progress
        if progress is None:
            progress = Progress(
                TextColumn("downloading {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=stderr,
            )
            progress.start()
        if label not in tasks:
            tasks[label] = progress.add_task(label, total=total)
        progress.update(tasks[label], completed=done, total=total)

    try:
        yield update
    finally:
        if progress is not None:
            progress.stop()


def speaker_model(
    args: argparse.Namespace, settings: Settings | None = None, *, model_asks: bool = True
) -> Path | None:
    """The speaker-embedding model to label speakers with (``--speakers``, the setting, or
    with ``model_asks`` a ``--speaker-model`` given: it would be ignored otherwise),
    downloaded with a progress bar the first time if it is a catalog name; None: labels
    are off. Asked for with no model given or downloaded: one line saying what to pass."""
    asked = args.speakers or (model_asks and args.speaker_model is not None)
    if not (asked or (settings is not None and settings.speakers)):
        return None
    from tui_captions import paths
    from tui_captions.speakers.catalog import SPEAKER_MODELS, downloaded, speaker_model_path

    spec = chosen_speaker_model(args, settings)
    if spec is None:
        found = downloaded(paths.models_dir())
        if found is not None:
            return found
        names = " or ".join(SPEAKER_MODELS)
        raise UserError(
            f"--speakers needs a speaker model: --speaker-model {names} (downloaded once), "
            "or --speaker-model PATH to a WeSpeaker or 3D-Speaker .onnx file"
        )
    with download_progress() as progress:
        return speaker_model_path(spec, paths.models_dir(), progress)


def local_speaker_model(args: argparse.Namespace, settings: Settings | None) -> Path | None:
    """The speaker model to turn labels on with later (the app's key), when it needs no
    download: the one chosen if it is a file or on disk, else the first downloaded."""
    from tui_captions import paths
    from tui_captions.speakers.catalog import SPEAKER_MODELS, downloaded, on_disk

    spec = chosen_speaker_model(args, settings)
    if spec is None:
        return downloaded(paths.models_dir())
    card = SPEAKER_MODELS.get(spec)
    if card is None:
        return Path(spec).expanduser()
    return on_disk(card, paths.models_dir())


def chosen_speaker_model(args: argparse.Namespace, settings: Settings | None) -> str | None:
    """``--speaker-model``, else the settings' ``speaker_model``, else None."""
    if args.speaker_model is not None:
        return str(args.speaker_model)
    return settings.speaker_model if settings is not None and settings.speaker_model else None


def speaker_labellers(model: Path, count: int, sample_rate: int) -> list[SpeakerLabeller]:
    """One labeller per source, each on a thread of its own; a model or VAD that cannot
    load is one warning and none (captions go on without labels)."""
    from tui_captions.speakers.labeller import open_labeller

    try:
        labellers = [open_labeller(model, sample_rate) for _ in range(count)]
    except UserError as exc:
        warn(f"{exc}; captions go on without speaker labels")
        return []
    for labeller in labellers:
        labeller.start()
    return labellers


def read_settings() -> Settings:
    """The settings file's values; each problem in it is one warning."""
    from tui_captions.config import load_settings

    settings, problems = load_settings()
    for problem in problems:
        warn(problem)
    return settings


def load_model(
    args: argparse.Namespace, settings: Settings | None = None
) -> tuple[AsrModel, DecodeOptions, Settings]:
    """The model as the options and settings say (threads, download with a progress bar,
    quantization), how its streams decode, and the settings for the rest (read now unless
    given)."""
    from tui_captions.asr.registry import open_for_running

    settings = settings or read_settings()
    run = settings.run_options(args.threads, args.quantize, args.compute)
    hotwords = settings.hotword_list(hotword_choice(args), getattr(args, "watch", None))
    decode = settings.decode_options(
        args.beam,
        args.endpoint_silence,
        args.max_segment,
        args.decoder,
        args.lm,
        hotwords,
        args.language,
    )
    if getattr(args, "video", "on") == "off":
        decode = dataclasses.replace(decode, video=False)
    with download_progress() as progress:
        return open_for_running(args.model, progress, run, decode), decode, settings
