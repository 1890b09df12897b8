"""Model names -> model directories: bundled, downloaded on first use, or a local path.

The default model is torchaudio's EMFORMER_RNNT_BASE_LIBRISPEECH and the CTC
alternative its WAV2VEC2_ASR_BASE_960H, each materialised into the project's
model-directory format in the user cache: downloaded with progress into a
temporary folder, each file checked against its published sha256 where the
catalog pins one, the whole checked by loading it, then moved into place, so a
broken download never looks like a model. The beam decoder's LibriSpeech lexicon and
4-gram LM are fetched the same way when asked for (``--lm``). sherpa-onnx's models
(``asr/cards.py``) are released as one archive of their directory each: the archive is
fetched the same way, unpacked safely, and the directory checked and used as released.

Importable without torch, which a sherpa-onnx model never needs: only checking (or
converting) a torch engine's download imports it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_captions import paths
from tui_captions.asr.avsr.model_dir import MODEL_FILE as AV_MODEL_FILE
from tui_captions.asr.avsr.model_dir import TOKENIZER_FILE as AV_TOKENIZER_FILE
from tui_captions.asr.avsr.model_dir import AvsrConfig
from tui_captions.asr.cards import CARDS, MODEL_NAMES, ReleaseArchive
from tui_captions.asr.defaults import (
    AV_MODEL,
    DEFAULT_MODEL,
    DEMO_MODEL,
    LM_NAMES,
    WAV2VEC2_MODEL,
    DownloadProgress,
    bundled_model_dir,
)
from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE
from tui_captions.asr.emformer.model_dir import (
    STATS_FILE,
    TOKENIZER_FILE,
    ModelConfig,
    load_model_dir,
)
from tui_captions.asr.engine import RunOptions
from tui_captions.asr.sherpa.model_dir import read_sherpa_dir
from tui_captions.asr.wav2vec2.ctc import LexiconFiles
from tui_captions.asr.wav2vec2.model_dir import LEXICON_FILE, Wav2Vec2Config, read_wav2vec2_config
from tui_captions.core.download import (
    cached_directory,
    check_download,
    download,
    unpack_release,
)
from tui_captions.errors import ModelError

LOCAL_MODEL = (
    "--model PATH pointing at a local model directory (docs/models.md, 'Local models "
    f"(offline)'), or try --model {DEMO_MODEL} (bundled, no download)"
)
# --lm takes a name only: offline, the beam decoder uses the model directory's files.
LOCAL_LM = (
    f"--decoder greedy (no language model), or leave out --lm and put a {LEXICON_FILE} "
    "(and lm.bin) in the model directory (docs/models.md)"
)

FRONT_END: dict[str, int] = {
    "sample_rate": 16000,
    "n_fft": 400,
    "n_mels": 80,
    "hop_length": 160,
    "segment_length": 16,
    "right_context_length": 4,
}

# torchaudio.models.emformer_rnnt_base spelled out: 76.7 M parameters with 4097 symbols.
BASE_KWARGS: dict[str, Any] = {
    "input_dim": 80,
    "encoding_dim": 1024,
    "num_symbols": 4097,
    "segment_length": 16,
    "right_context_length": 4,
    "time_reduction_input_dim": 128,
    "time_reduction_stride": 4,
    "transformer_num_heads": 8,
    "transformer_ffn_dim": 2048,
    "transformer_num_layers": 20,
    "transformer_dropout": 0.1,
    "transformer_activation": "gelu",
    "transformer_left_context_length": 30,
    "transformer_max_memory_size": 0,
    "transformer_weight_init_scale_strategy": "depthwise",
    "transformer_tanh_on_mem": True,
    "symbol_embedding_dim": 512,
    "num_lstm_layers": 3,
    "lstm_layer_norm": True,
    "lstm_layer_norm_epsilon": 1e-3,
    "lstm_dropout": 0.3,
}


# torchaudio's WAV2VEC2_ASR_BASE_960H spelled out: wav2vec2 base, 94.4 M parameters.
WAV2VEC2_BASE_KWARGS: dict[str, Any] = {
    "extractor_mode": "group_norm",
    "extractor_conv_layer_config": [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2,
    "extractor_conv_bias": False,
    "encoder_embed_dim": 768,
    "encoder_projection_dropout": 0.1,
    "encoder_pos_conv_kernel": 128,
    "encoder_pos_conv_groups": 16,
    "encoder_num_layers": 12,
    "encoder_num_heads": 12,
    "encoder_attention_dropout": 0.1,
    "encoder_ff_interm_features": 3072,
    "encoder_ff_interm_dropout": 0.0,
    "encoder_dropout": 0.1,
    "encoder_layer_norm_first": False,
    "encoder_layer_drop": 0.05,
    "aux_num_out": 29,
}
# The bundle's labels, lower-cased (the LibriSpeech lexicon spells words in lower case).
LIBRISPEECH_LABELS = tuple("-|etaonihsrdlumwcfgypbvk'xjqz")


@dataclass(frozen=True)
class RemoteFile:
    """One published file. Its sha256 is checked before the file is used, and has no default:
    every file states it, ``None`` meaning not pinned yet (docs/models.md lists those)."""

    path: str  # under the model's base_url
    sha256: str | None


@dataclass(frozen=True)
class RemoteModel:
    """A model published as separate files that together make a model directory."""

    name: str
    base_url: str
    files: dict[str, RemoteFile]  # model-directory file name -> the published file
    config: ModelConfig | Wav2Vec2Config | AvsrConfig | None  # None: files only (a language model)
    # Loads the staged directory as the engine will, so a bad download is caught there.
    check: Callable[[Path], object]
    # What to run with instead, offline or when the download fails.
    offline: str = LOCAL_MODEL
    # Turns the published weights into the directory's (run on the staged copy).
    convert: Callable[[Path], None] | None = None


def _check_wav2vec2(directory: Path) -> object:
    from tui_captions.asr.wav2vec2.model import read_wav2vec2_weights

    return read_wav2vec2_weights(directory, read_wav2vec2_config(directory))


def _check_avsr(directory: Path) -> object:
    from tui_captions.asr.avsr.engine import load_avsr

    return load_avsr(directory, RunOptions(1, "none", "cpu"))


def _drop_fairseq_rows(directory: Path) -> None:
    """fairseq's CTC heads carry three unused dictionary rows (ids 1-3), as torchaudio drops."""
    import torch

    path = directory / WEIGHTS_FILE
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("aux.weight", "aux.bias"):
        rows = state_dict[key]
        state_dict[key] = torch.cat((rows[:1], rows[4:]))
    torch.save(state_dict, path)


EMFORMER_LIBRISPEECH_CONFIG = ModelConfig(model_kwargs=BASE_KWARGS, blank=4096, **FRONT_END)
# 2 s windows, 1 s hop: a frame is final 0.5 s inside a window, so about 1.5 s after it
# was heard; one window per second is half a core for the base model in int8.
WAV2VEC2_LIBRISPEECH_CONFIG = Wav2Vec2Config(
    model_kwargs=WAV2VEC2_BASE_KWARGS,
    labels=LIBRISPEECH_LABELS,
    blank=0,
    word_separator="|",
    sample_rate=16000,
    window_seconds=2.0,
    hop_seconds=1.0,
    margin_seconds=0.5,
)
WAV2VEC2_LIBRISPEECH = RemoteModel(
    name=WAV2VEC2_MODEL,
    base_url="https://download.pytorch.org/torchaudio/",
    files={WEIGHTS_FILE: RemoteFile("models/wav2vec2_fairseq_base_ls960_asr_ls960.pth", None)},
    config=WAV2VEC2_LIBRISPEECH_CONFIG,
    check=_check_wav2vec2,
    convert=_drop_fairseq_rows,
)


def _check_lexicon(directory: Path) -> object:
    if not (directory / LEXICON_FILE).stat().st_size:
        raise ModelError(f"{directory / LEXICON_FILE}: the lexicon is empty")
    return None


REMOTE_LMS = {
    name: RemoteModel(
        name=f"lm-{name}",
        base_url=f"https://download.pytorch.org/torchaudio/decoder-assets/{name}/",
        files={
            LEXICON_FILE: RemoteFile("lexicon.txt", None),
            "lm.bin": RemoteFile("lm.bin", None),
        },
        config=None,
        check=_check_lexicon,
        offline=LOCAL_LM,
    )
    for name in LM_NAMES
}


def language_model_files(
    name: str, progress: DownloadProgress | None = None, models_root: Path | None = None
) -> LexiconFiles:
    """A named lexicon + KenLM model for the beam decoder (the files torchaudio's
    ``download_pretrained_files`` fetches), downloaded into the cache on first use."""
    if name not in REMOTE_LMS:
        raise ModelError(f"unknown language model {name!r}: use one of {', '.join(LM_NAMES)}")
    directory = materialize(REMOTE_LMS[name], models_root or paths.models_dir(), progress)
    return LexiconFiles(directory / LEXICON_FILE, directory / "lm.bin")


REMOTE_MODELS = {
    DEFAULT_MODEL: RemoteModel(
        name=DEFAULT_MODEL,
        base_url="https://download.pytorch.org/torchaudio/",
        files={
            WEIGHTS_FILE: RemoteFile("models/emformer_rnnt_base_librispeech.pt", None),
            TOKENIZER_FILE: RemoteFile("pipeline-assets/spm_bpe_4096_librispeech.model", None),
            STATS_FILE: RemoteFile("pipeline-assets/global_stats_rnnt_librispeech.json", None),
        },
        config=EMFORMER_LIBRISPEECH_CONFIG,
        check=load_model_dir,
    ),
    WAV2VEC2_MODEL: WAV2VEC2_LIBRISPEECH,
    # Seed 001's device AV-ASR model: the tutorial's two files, as they are (the TorchScript
    # file is code: it is loaded only from here or from a directory the user names), and a
    # config.json that declares the engine's format.
    AV_MODEL: RemoteModel(
        name=AV_MODEL,
        base_url="https://download.pytorch.org/torchaudio/tutorial-assets/",
        files={
            AV_MODEL_FILE: RemoteFile(AV_MODEL_FILE, None),
            AV_TOKENIZER_FILE: RemoteFile(
                AV_TOKENIZER_FILE,
                "856dfe3dc9c9192d9f84b6860c39ac6fb26af76aea998b2bab3c00321dbde1b1",
            ),
        },
        config=AvsrConfig(),
        check=_check_avsr,
    ),
}


def model_names() -> list[str]:
    return list(MODEL_NAMES)


def model_directory(
    spec: str, progress: DownloadProgress | None = None, models_root: Path | None = None
) -> Path:
    """The model directory a ``--model`` value names: a known name (downloaded into the
    cache on first use) or a directory path."""
    if spec in REMOTE_MODELS:
        return materialize(REMOTE_MODELS[spec], models_root or paths.models_dir(), progress)
    if (card := CARDS.get(spec)) is not None and card.archive is not None:
        return materialize_release(
            card.name, card.archive, models_root or paths.models_dir(), progress
        )
    if spec == DEMO_MODEL:
        return bundled_model_dir()
    path = Path(spec).expanduser()
    if path.exists() or os.sep in spec or spec.startswith("."):
        return path
    raise ModelError(
        f"unknown model {spec!r}: give a model directory path or one of: "
        + ", ".join(model_names())
    )


def materialize(
    remote: RemoteModel, models_root: Path, progress: DownloadProgress | None = None
) -> Path:
    """Return the cached model directory, downloading and checking it first if needed."""

    def fill(staging: Path) -> None:
        for file_name, published in remote.files.items():
            url = remote.base_url + published.path
            dest = staging / file_name
            download(
                url, dest, file_name, progress, remote.name, remote.offline, sha256=published.sha256
            )
        if remote.config is not None:
            blob = json.dumps(remote.config.to_json(), indent=2)
            (staging / CONFIG_FILE).write_text(blob + "\n")
        if remote.convert is not None:
            remote.convert(staging)
        check_download(remote.name, remote.check, staging, remote.offline)

    return cached_directory(models_root, remote.name, fill)


def materialize_release(
    name: str,
    archive: ReleaseArchive,
    models_root: Path,
    progress: DownloadProgress | None = None,
    check: Callable[[Path], object] = read_sherpa_dir,
) -> Path:
    """The cached directory of a model released as one archive of its directory: downloaded
    (its sha256 checked when pinned), unpacked safely, checked, then used as released."""

    def fill(staging: Path) -> None:
        path = staging / archive.asset
        download(
            archive.url, path, archive.asset, progress, name, LOCAL_MODEL, sha256=archive.sha256
        )
        unpack_release(path, staging)
        check_download(name, check, staging, LOCAL_MODEL)

    return cached_directory(models_root, name, fill)
