"""Model names and decoding defaults, importable without torch.

The command-line parser needs these to build its help; keeping them here
means ``captions-tui --help`` and the TUI's first paint never wait for torch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from tui_captions.core.download import DownloadProgress as DownloadProgress  # for importers

Quantize = Literal["none", "int8"]
Compute = Literal["cpu", "cuda"]

DEFAULT_MODEL = "emformer-librispeech"
DEMO_MODEL = "demo-tiny"
WAV2VEC2_MODEL = "wav2vec2-librispeech"
AV_MODEL = "avsr-device"  # seed 001's audio-visual model (camera + microphone)
AV_MODEL_FILES = ("device_avsr_model.pt", "spm_unigram_1023.model")  # the seed's, as published
# Language models the CTC beam decoder can fetch by name (torchaudio's decoder assets).
LM_NAMES = ("librispeech-4-gram", "librispeech-3-gram")
CTC_DECODERS = ("greedy", "beam")
DEFAULT_BEAM = 4
DEFAULT_THREADS = 1
# Model compute: "none" keeps fp32 weights (exact parity with torchaudio); "int8" quantizes
# linear and LSTM weights at load time (a quarter of the bytes read per chunk). int8 is the
# CPU default: the base model's fp32 encoder alone reads ~300 MB a chunk (~40-50 ms, a third
# of real time on one core), int8 decodes a chunk in ~10 ms; on the tiny trained model it
# cost about one point of WER (README, Performance).
QUANTIZE_MODES: tuple[Quantize, ...] = ("none", "int8")
DEFAULT_QUANTIZE: Quantize = "int8"
# Where the model runs. CUDA is optional and never needed by the tests.
COMPUTE_DEVICES: tuple[Compute, ...] = ("cpu", "cuda")
DEFAULT_COMPUTE: Compute = "cpu"


def bundled_model_dir() -> Path:
    """The tiny demo model that ships inside the package."""
    return Path(str(resources.files("tui_captions.demo") / "tiny-emformer"))


def is_audio_visual(model: str) -> bool:
    """Whether a ``--model`` value is the audio-visual model: its name, or a directory of its
    two files. Known without torch, so the app can say what it needs and how it runs (fp32:
    it has no int8) before it loads, or when it cannot."""
    return model == AV_MODEL or is_av_directory(Path(model).expanduser())


def is_av_directory(directory: Path) -> bool:
    """The audio-visual model's directory: its two files as published (no config.json)."""
    return all((directory / name).is_file() for name in AV_MODEL_FILES)
