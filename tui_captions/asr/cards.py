"""The catalog's models as their cards describe them: one table, importable without torch.

``captions-tui models``, the ``--model`` help and the picker read it before
any engine loads. Each figure is the one published with the model (its card,
or the docs of the project that released it), labelled with the set it was
measured on; a figure not published, or not found, is ``None`` and shown as
unknown, never guessed. sherpa-onnx's models are released as one
``.tar.bz2`` of their directory each; the catalog downloads the archive and
uses the directory as released (``asr/catalog.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_captions.asr.defaults import (
    AV_MODEL,
    DEFAULT_MODEL,
    DEMO_MODEL,
    WAV2VEC2_MODEL,
    bundled_model_dir,
)

SHERPA_RELEASES = "https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/"
SHERPA_ENGINE = "sherpa-onnx"
# Nemotron 3.5's 19 transcription-ready locales, by language (its card; 13 more locales are
# "broad coverage", with higher error rates, and 8 need fine-tuning).
NEMOTRON_35_LANGUAGES = (
    "en", "es", "fr", "it", "pt", "nl", "de", "tr", "ru", "ar", "hi", "ja", "ko", "vi", "uk",
)  # fmt: skip


@dataclass(frozen=True)
class Published:
    """A word error rate as published with the model (never measured here), in percent,
    and the test set(s) it was measured on (several figures: one per set, in order)."""

    wer: str
    measured_on: str


@dataclass(frozen=True)
class ReleaseArchive:
    """A model directory released as one ``.tar.bz2`` (sherpa-onnx's ``asr-models``).
    ``sha256`` has no default: ``None`` means not pinned yet (docs/models.md,
    'Checked downloads'), and a test lists those."""

    asset: str
    sha256: str | None
    base_url: str = SHERPA_RELEASES

    @property
    def url(self) -> str:
        return self.base_url + self.asset


@dataclass(frozen=True)
class ModelCard:
    """What a user chooses a model by. ``None``: not published (or not found) for it."""

    name: str
    engine: str
    family: str
    languages: tuple[str, ...]  # ISO 639-1 codes of what it transcribes
    params_m: float | None  # millions of parameters
    chunk_ms: int | None  # audio per step (an export's fixed chunk for NeMo models)
    wer: Published | None
    punctuates: bool  # writes punctuation and capitals itself
    size_mb: int | None  # its files as released (unpacked), before it is on disk
    archive: ReleaseArchive | None = None  # a sherpa-onnx release; None: the catalog's own route


def _sherpa(name: str, asset: str, **card: Any) -> ModelCard:
    """A sherpa-onnx release: no sha256 is published beside the archives (see above)."""
    archive = ReleaseArchive(f"{asset}.tar.bz2", sha256=None)
    return ModelCard(name, SHERPA_ENGINE, archive=archive, **card)


ZIPFORMER = "zipformer transducer"
NEMO = "NeMo FastConformer transducer"
LIBRISPEECH = "LibriSpeech test-clean / test-other"
NEMOTRON_EN = Published("7.16-8.53", "Open ASR average, 1120 to 80 ms chunks (card)")
EN = ("en",)
UNKNOWN = {"params_m": None, "chunk_ms": None, "wer": None}

MODEL_CARDS: tuple[ModelCard, ...] = (
    ModelCard(
        DEFAULT_MODEL, "emformer-rnnt", family="torchaudio Emformer RNN-T", languages=EN,
        params_m=76.7, chunk_ms=160, wer=Published("4.56 / 10.66", LIBRISPEECH),
        punctuates=False, size_mb=293,
    ),
    ModelCard(
        WAV2VEC2_MODEL, "wav2vec2-ctc", family="torchaudio wav2vec2 base CTC", languages=EN,
        params_m=94.4, chunk_ms=1000, wer=None, punctuates=False, size_mb=360,
    ),
    ModelCard(
        AV_MODEL, "av-rnnt", family="audio-visual Emformer RNN-T", languages=EN, params_m=24.7,
        chunk_ms=1070, wer=None, punctuates=False, size_mb=None,
    ),
    ModelCard(
        DEMO_MODEL, "emformer-rnnt", family="the project's tiny Emformer, bundled", languages=EN,
        params_m=None, chunk_ms=160, wer=None, punctuates=False, size_mb=None,
    ),
    _sherpa(
        "zipformer-en-70m", "sherpa-onnx-streaming-zipformer-en-2023-06-21", family=ZIPFORMER,
        languages=EN, params_m=70, chunk_ms=320,
        wer=Published("2.42 / 6.03", f"{LIBRISPEECH}, 320 ms chunks"),
        punctuates=False, size_mb=521,
    ),
    _sherpa(
        "zipformer-en-20m", "sherpa-onnx-streaming-zipformer-en-20M-2023-02-17",
        family=ZIPFORMER, languages=EN, params_m=20, chunk_ms=None, wer=None, punctuates=False,
        size_mb=None,
    ),
    _sherpa(
        "fastconformer-en-80ms",
        "sherpa-onnx-nemo-streaming-fast-conformer-transducer-en-80ms-int8",
        family=NEMO, languages=EN, params_m=114, chunk_ms=80, wer=None, punctuates=False,
        size_mb=None,
    ),
    _sherpa(
        "fastconformer-en-480ms",
        "sherpa-onnx-nemo-streaming-fast-conformer-transducer-en-480ms-int8",
        family=NEMO, languages=EN, params_m=114, chunk_ms=480, wer=None, punctuates=False,
        size_mb=None,
    ),
    _sherpa(
        "nemotron-en-160ms",
        "sherpa-onnx-nemotron-speech-streaming-en-0.6b-160ms-int8-2026-04-25",
        family=NEMO, languages=EN, params_m=600, chunk_ms=160, wer=NEMOTRON_EN,
        punctuates=True, size_mb=None,
    ),
    _sherpa(
        "nemotron-en-560ms",
        "sherpa-onnx-nemotron-speech-streaming-en-0.6b-560ms-int8-2026-04-25",
        family=NEMO, languages=EN, params_m=600, chunk_ms=560, wer=NEMOTRON_EN,
        punctuates=True, size_mb=632,
    ),
    _sherpa(
        "nemotron-3.5-560ms",
        "sherpa-onnx-nemotron-3.5-asr-streaming-0.6b-560ms-int8-2026-06-11",
        family=NEMO, languages=NEMOTRON_35_LANGUAGES, params_m=600, chunk_ms=560, wer=None,
        punctuates=True, size_mb=650,
    ),
    _sherpa(
        "zipformer-fr", "sherpa-onnx-streaming-zipformer-fr-kroko-2025-08-06", family=ZIPFORMER,
        languages=("fr",), punctuates=False, size_mb=None, **UNKNOWN,
    ),
    _sherpa(
        "zipformer-de", "sherpa-onnx-streaming-zipformer-de-kroko-2025-08-06", family=ZIPFORMER,
        languages=("de",), punctuates=False, size_mb=None, **UNKNOWN,
    ),
    _sherpa(
        "zipformer-es", "sherpa-onnx-streaming-zipformer-es-kroko-2025-08-06", family=ZIPFORMER,
        languages=("es",), punctuates=False, size_mb=None, **UNKNOWN,
    ),
    _sherpa(
        "zipformer-ru", "sherpa-onnx-streaming-zipformer-small-ru-vosk-int8-2025-08-16",
        family=ZIPFORMER, languages=("ru",), punctuates=False, size_mb=None, **UNKNOWN,
    ),
    _sherpa(
        "zipformer-ko", "sherpa-onnx-streaming-zipformer-korean-2024-06-16", family=ZIPFORMER,
        languages=("ko",), punctuates=False, size_mb=426, **UNKNOWN,
    ),
    _sherpa(
        "zipformer-zh", "sherpa-onnx-streaming-zipformer-zh-int8-2025-06-30", family=ZIPFORMER,
        languages=("zh",), punctuates=False, size_mb=160, **UNKNOWN,
    ),
    _sherpa(
        "zipformer-zh-en", "sherpa-onnx-streaming-zipformer-bilingual-zh-en-2023-02-20",
        family=ZIPFORMER, languages=("zh", "en"), punctuates=False, size_mb=532, **UNKNOWN,
    ),
)  # fmt: skip
MODEL_NAMES = tuple(card.name for card in MODEL_CARDS)
LANGUAGE_NAMES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fr": "French",
    "hi": "Hindi", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "pt": "Portuguese", "ru": "Russian", "tr": "Turkish", "uk": "Ukrainian",
    "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip
CARDS = {card.name: card for card in MODEL_CARDS}


def languages_label(languages: tuple[str, ...]) -> str:
    """``en``; ``zh, en``; many: how many, and the first few (the table stays narrow)."""
    if len(languages) <= 3:
        return ", ".join(languages)
    return f"{len(languages)}: {', '.join(languages[:3])}, …"


def model_summary(spec: str, language: str | None = None) -> str:
    """The chosen model and the language it writes, as the picker says it before the model
    loads: ``language`` is what ``--language`` chose for a multilingual model (None: the
    model's own choice). A directory's language is its files': only its path is known."""
    card = CARDS.get(spec)
    if card is None:
        return f"Model {spec}"
    if language is not None:
        spoken = LANGUAGE_NAMES.get(language.split("-")[0].lower(), language)
        return f"Model {card.name} · {spoken} ({language})"
    if len(card.languages) > 3:
        return (
            f"Model {card.name} · {len(card.languages)} languages (detected; --language picks one)"
        )
    return f"Model {card.name} · " + ", ".join(LANGUAGE_NAMES[code] for code in card.languages)


def on_disk(card: ModelCard, models_root: Path) -> Path | None:
    """Where the model already is (bundled, or downloaded into ``models_root`` under its
    name), or None: it is downloaded on first use."""
    if card.name == DEMO_MODEL:
        return bundled_model_dir()
    directory = models_root / card.name
    return directory if directory.is_dir() else None
