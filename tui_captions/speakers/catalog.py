"""Published speaker-embedding models ``--speaker-model`` takes by name, downloaded once.

Importable without numpy (the command line's help lists the names).

sherpa-onnx publishes exported models as single ``.onnx`` files in its release
``speaker-recongition-models`` (the tag's spelling). Each is fetched on first use with
progress into its own folder of the models cache, checked as the extractor reads it
(:func:`tui_captions.speakers.embedding.check_embedding_model`) before it takes its
name. ``sha256`` is None where no digest was published or checked here (unpinned, as in
the recognizers' catalog): no model has been downloaded on this project's machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_captions.core.download import (
    DownloadProgress,
    cached_directory,
    check_download,
    download,
)

SPEAKER_RELEASES = (
    "https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models/"
)
LOCAL_SPEAKER_MODEL = "--speaker-model PATH (a WeSpeaker or 3D-Speaker .onnx file)"


@dataclass(frozen=True)
class SpeakerModelCard:
    """A published speaker-embedding model: its release asset and what it is."""

    name: str
    asset: str
    about: str
    sha256: str | None = None  # None: not pinned

    @property
    def url(self) -> str:
        return SPEAKER_RELEASES + self.asset


SPEAKER_MODELS = {
    card.name: card
    for card in (
        SpeakerModelCard(
            "campplus-voxceleb",
            "3dspeaker_speech_campplus_sv_en_voxceleb_16k.onnx",
            "3D-Speaker CAM++ trained on VoxCeleb (English), about 29 MB",
        ),
        SpeakerModelCard(
            "resnet34-voxceleb",
            "wespeaker_en_voxceleb_resnet34.onnx",
            "WeSpeaker ResNet34 trained on VoxCeleb (English), about 27 MB",
        ),
    )
}


def on_disk(card: SpeakerModelCard, models_root: Path) -> Path | None:
    """The folder of ``card``'s file, if it was downloaded."""
    folder = models_root / card.name
    return folder if (folder / card.asset).is_file() else None


def downloaded(models_root: Path) -> Path | None:
    """The first catalog model already on disk (the folder of its file), if any."""
    return next(
        filter(None, (on_disk(card, models_root) for card in SPEAKER_MODELS.values())), None
    )


def speaker_model_path(
    spec: str, models_root: Path, progress: DownloadProgress | None = None
) -> Path:
    """``spec`` as a model file or folder: a catalog name (downloaded the first time, with
    ``progress``), else a path."""
    card = SPEAKER_MODELS.get(spec)
    if card is None:
        return Path(spec).expanduser()

    from tui_captions.speakers.embedding import check_embedding_model

    def fill(staging: Path) -> None:
        path = staging / card.asset
        download(
            card.url, path, card.asset, progress, card.name, LOCAL_SPEAKER_MODEL, sha256=card.sha256
        )
        check_download(card.name, check_embedding_model, path, LOCAL_SPEAKER_MODEL)

    return cached_directory(models_root, card.name, fill)
