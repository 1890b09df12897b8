"""A sherpa-onnx model directory as released: its files, its family, and the checks that keep
sherpa-onnx from ending the process.

sherpa-onnx ``_Exit``s on a metadata key that is missing or negative, on a
``tokens.txt`` line it cannot parse, on a NeMo ``tokens.txt`` without a last
``<blk>`` (a CTC one without a blank), and its bpe.vocab reader on a line that
is not ``piece score``; it crashes on an unknown ``model_type`` or on fewer
outputs than the family takes, and loops for ever on a chunk of 0 frames.
:func:`read_sherpa_dir` reads what the chosen family reads (as
``csrc/online-*-model.cc`` reads it) and turns each of those into one
:class:`ModelError` line naming the file, so that once it returns the recogniser
can be built (tests/unit/test_sherpa_damage.py shows sherpa-onnx 2.0.1 dying on
them). It reads no weights (see ``onnx_header``): a few milliseconds for a 270 MB
encoder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sentencepiece

from tui_captions import paths
from tui_captions.core.onnx_header import (
    INT32_MAX,
    INTEGER,
    OnnxHeader,
    metadata_int,
    read_onnx_header,
)
from tui_captions.errors import ModelError

ModelingUnit = Literal["bpe", "cjkchar", "cjkchar+bpe"]
LetterCase = Literal["upper", "lower", "mixed"]
Family = Literal[
    "zipformer",
    "zipformer2",
    "lstm",
    "conformer",
    "ebranchformer",
    "nemo_transducer",
    "nemo_ctc",
    "zipformer2_ctc",
]
TRANSDUCER_FAMILIES: tuple[Family, ...] = (
    "zipformer",
    "zipformer2",
    "lstm",
    "conformer",
    "ebranchformer",
    "nemo_transducer",
)
CTC_FAMILIES: tuple[Family, ...] = ("nemo_ctc", "zipformer2_ctc")
# The encoder ``model_type`` values sherpa-onnx's generic transducer knows
# (csrc/online-transducer-model.cc); anything else is a null model and a segfault.
ENCODER_MODEL_TYPES: tuple[Family, ...] = (
    "conformer",
    "ebranchformer",
    "lstm",
    "zipformer",
    "zipformer2",
)

TOKENS_FILE = "tokens.txt"
BPE_VOCAB_FILE = "bpe.vocab"
BPE_MODEL_FILE = "bpe.model"
BLANK = "<blk>"
WORD_START = "\u2581"  # sentencepiece's mark of a word's first piece
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CTC_BLANKS = ("<blk>", "<eps>", "<blank>")  # csrc/online-recognizer-ctc-impl.h, in this order
# Released file names: encoder-epoch-99-avg-1-chunk-16-left-128.int8.onnx, encoder.onnx,
# model.int8.onnx (NeMo CTC), ctc-epoch-20-avg-1-chunk-16-left-128.onnx (zipformer2 CTC).
TRANSDUCER_ROLES = ("encoder", "decoder", "joiner")
CTC_ROLES = ("model", "ctc")
INT8_SUFFIX = ".int8.onnx"
# sherpa-onnx's decoder metadata for NeMo Parakeet "unified" streaming, a family of its own.
_PARAKEET_UNIFIED = "nemo_parakeet_unified_streaming"
DEFAULT_FEATURE_DIM = 80  # kaldi fbank bins every icefall model here takes
GREEDY, BEAM = "greedy_search", "modified_beam_search"
PROMPT_INPUT = "prompt_index"  # Nemotron 3.5: sherpa-onnx passes it sixth


@dataclass(frozen=True)
class SherpaDir:
    """The files of a released sherpa-onnx streaming model and the family they declare."""

    directory: Path
    family: Family
    tokens: Path
    metadata: Mapping[str, str]  # the encoder's (CTC: the model's) custom metadata
    symbols: Mapping[int, str]  # tokens.txt as sherpa-onnx reads it: id -> symbol
    encoder: Path | None = None  # transducers
    decoder: Path | None = None
    joiner: Path | None = None
    model: Path | None = None  # CTC families: the one model file
    bpe_vocab: Path | None = None  # bpe.vocab where released (sherpa's hotwords need it)
    # NeMo 3.5 (multilingual): the encoder takes ``prompt_index``; the languages it names.
    languages: tuple[str, ...] = ()
    # Feature bins per frame the model takes (pass as ``feature_dim``; NeMo reads its own).
    feature_dim: int = DEFAULT_FEATURE_DIM
    # What tokens.txt holds: "bpe" pieces, "cjkchar" characters or both ("cjkchar+bpe"),
    # sherpa-onnx's hotwords ``modeling_unit``; and the case of its letters.
    modeling_unit: ModelingUnit = "bpe"
    letter_case: LetterCase = "mixed"

    @property
    def is_transducer(self) -> bool:
        return self.family in TRANSDUCER_FAMILIES

    @property
    def decoding_methods(self) -> tuple[str, ...]:
        """What sherpa-onnx decodes this family with; any other method ends the process (NeMo
        transducers and CTC models are greedy only)."""
        if self.family in ENCODER_MODEL_TYPES:
            return (GREEDY, BEAM)
        return (GREEDY,)

    def hotwords_problem(self) -> str | None:
        """Why sherpa-onnx's hotwords cannot run on this model, or None: they ride on its beam
        search, and BPE models encode them with ``bpe.vocab`` (without it sherpa-onnx
        dereferences a null encoder)."""
        if BEAM not in self.decoding_methods:
            return f"{self.directory}: a {self.family} model decodes greedily only, no hotwords"
        if "bpe" in self.modeling_unit and self.bpe_vocab is None:
            return (
                f"{self.directory}: no {BPE_VOCAB_FILE}, which sherpa-onnx needs to spell "
                "hotwords in this model's pieces: add the one released with the model"
            )
        return None

    @property
    def onnx_files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.encoder, self.decoder, self.joiner, self.model) if p)


def looks_like_sherpa_dir(directory: Path) -> bool:
    """A released layout: ONNX files by the names releases use, no captions-tui
    ``config.json`` (``tokens.txt`` may be missing: ``read_sherpa_dir`` then says so)."""
    return (
        directory.is_dir()
        and not (directory / "config.json").exists()
        and bool(_find_onnx_files(directory))
    )


def read_sherpa_dir(directory: Path) -> SherpaDir:
    """The directory's files and family, checked as sherpa-onnx will read them."""
    if not directory.is_dir():
        raise ModelError(f"{directory}: not a directory: pass the folder the model unpacked to")
    roles = _find_onnx_files(directory)
    tokens = directory / TOKENS_FILE
    bpe_vocab = directory / BPE_VOCAB_FILE
    found_bpe = bpe_vocab if bpe_vocab.is_file() else None
    if found_bpe is not None:
        _check_bpe_vocab(found_bpe)
    elif (directory / BPE_MODEL_FILE).is_file():
        found_bpe = vocab_of_bpe_model(directory / BPE_MODEL_FILE)
    if all(role in roles for role in TRANSDUCER_ROLES):
        return _read_transducer(directory, roles, tokens, found_bpe)
    model = roles.get("model") or roles.get("ctc")
    if model is not None:
        return _read_ctc(directory, model, tokens, found_bpe)
    missing = [f"{role}*.onnx" for role in TRANSDUCER_ROLES if role not in roles]
    raise ModelError(
        f"{directory}: no sherpa-onnx streaming model here (no {', '.join(missing)}, "
        "no model*.onnx): pass the folder a sherpa-onnx release archive unpacked to"
    )


def _find_onnx_files(directory: Path) -> dict[str, Path]:
    """Role -> file. A release may hold several exports (chunk-16-left-64 and -left-128):
    the last in natural order is taken, each role from the same export, int8 when released."""
    exports: dict[str, dict[str, dict[bool, Path]]] = {}
    for path in directory.glob("*.onnx"):
        for role in (*TRANSDUCER_ROLES, *CTC_ROLES):
            if path.name.startswith(role) and path.is_file():
                int8 = path.name.endswith(INT8_SUFFIX)
                export = path.name[len(role) : -len(INT8_SUFFIX if int8 else ".onnx")]
                exports.setdefault(export, {}).setdefault(role, {})[int8] = path
    if not exports:
        return {}
    complete = [
        name
        for name, roles in exports.items()
        if all(role in roles for role in TRANSDUCER_ROLES) or roles.keys() & set(CTC_ROLES)
    ]
    chosen = max(complete or exports, key=_natural_key)
    return {role: files.get(True) or files[False] for role, files in exports[chosen].items()}


def _natural_key(text: str) -> tuple[tuple[int, str], ...]:
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)
    )


# --- transducers -------------------------------------------------------------------------


def _read_transducer(
    directory: Path, roles: Mapping[str, Path], tokens: Path, bpe_vocab: Path | None
) -> SherpaDir:
    encoder = read_onnx_header(roles["encoder"])
    decoder = read_onnx_header(roles["decoder"])
    joiner = read_onnx_header(roles["joiner"])
    if decoder.metadata.get("streaming_model_type") == _PARAKEET_UNIFIED:
        raise ModelError(
            f"{decoder.path}: a NeMo Parakeet unified streaming model, which captions-tui "
            "does not run yet: pick a model from `captions-tui models`"
        )
    if not decoder.outputs:
        raise ModelError(f"{decoder.path}: the decoder has no outputs: download the model again")
    family: Family
    languages: tuple[str, ...] = ()
    if len(decoder.outputs) == 1:
        family = _encoder_family(encoder)
        ENCODER_CONTRACTS[family].check(encoder)
        DECODER_CONTRACT.check(decoder)
        vocab_size = metadata_int(decoder, "vocab_size")
        symbols = _check_tokens(tokens, vocab_size, blank_last=False)
        feature_dim = _last_dim(encoder) or DEFAULT_FEATURE_DIM
    else:
        family = "nemo_transducer"
        NEMO_ENCODER.check(encoder)
        NEMO_DECODER.check(decoder)
        _check_nemo_inputs(encoder)
        languages = _nemo_languages(encoder)
        vocab_size = metadata_int(encoder, "vocab_size") + 1
        symbols = _check_tokens(tokens, vocab_size, blank_last=True)
        feature_dim = _nemo_feature_dim(encoder)
    JOINER_CONTRACT.check(joiner)
    _check_scores(joiner, "joiner", vocab_size)
    modeling_unit, letter_case = _token_traits(symbols)
    return SherpaDir(
        directory=directory,
        family=family,
        tokens=tokens,
        metadata=dict(encoder.metadata),
        symbols=symbols,
        encoder=encoder.path,
        decoder=decoder.path,
        joiner=joiner.path,
        bpe_vocab=bpe_vocab,
        languages=languages,
        feature_dim=feature_dim,
        modeling_unit=modeling_unit,
        letter_case=letter_case,
    )


def _check_scores(header: OnnxHeader, role: str, vocab_size: int | None) -> None:
    """The scores' last axis, where the file fixes it, is the vocabulary the metadata gives
    (sherpa-onnx looks up whatever id wins, unchecked)."""
    scores = _last_dim(header, output=True)
    if vocab_size is not None and scores is not None and scores != vocab_size:
        raise ModelError(
            f"{header.path}: the {role} scores {scores} tokens, the metadata says "
            f"{vocab_size}: use the files released together"
        )


def _last_dim(header: OnnxHeader, *, output: bool = False) -> int | None:
    """The fixed size of the first input's (or output's) last axis, if the file fixes it."""
    values = header.outputs if output else header.inputs
    dims = values[0].dims if values else None
    last = dims[-1] if dims else None
    return last if isinstance(last, int) and last > 0 else None


def _nemo_feature_dim(encoder: OnnxHeader) -> int:
    """sherpa-onnx takes the feature size from the encoder's first input, (N, C, T)'s C."""
    dims = encoder.inputs[0].dims
    size = dims[1] if dims and len(dims) == 3 else None
    if not isinstance(size, int) or size <= 0:
        raise ModelError(
            f"{encoder.path}: the encoder's first input has no fixed feature size "
            f"(shape {dims}); sherpa-onnx reads it from there: export the model again"
        )
    return size


def _check_nemo_inputs(encoder: OnnxHeader) -> None:
    """features, length, three caches; Nemotron 3.5 adds prompt_index as the sixth."""
    names = encoder.input_names
    wanted = 6 if PROMPT_INPUT in names else 5
    if len(names) != wanted or (wanted == 6 and names[5] != PROMPT_INPUT):
        raise ModelError(
            f"{encoder.path}: the encoder's inputs are {', '.join(names)}; sherpa-onnx passes "
            f"features, length, three caches{' and prompt_index' if wanted == 6 else ''} "
            "in that order: export the model again"
        )


def _encoder_family(encoder: OnnxHeader) -> Family:
    model_type = encoder.metadata.get("model_type", "")
    for family in ENCODER_MODEL_TYPES:
        if model_type == family:
            return family
    what = f"model_type is {model_type!r}" if model_type else "no model_type in its metadata"
    raise ModelError(
        f"{encoder.path}: {what}; sherpa-onnx knows {', '.join(ENCODER_MODEL_TYPES)}: "
        "export the encoder with icefall's export-onnx.py, or download the model again"
    )


def _nemo_languages(encoder: OnnxHeader) -> tuple[str, ...]:
    """The languages a multilingual NeMo encoder (Nemotron 3.5: an input ``prompt_index``) names
    in ``prompt_dictionary``, as sherpa-onnx keeps them: a JSON object's entries whose prompt
    id is a whole number, not negative (anything else it ignores, so a stream falls back to
    ``auto``)."""
    if PROMPT_INPUT not in encoder.input_names:
        return ()
    try:
        prompts = json.loads(encoder.metadata.get("prompt_dictionary", "") or "{}")
    except json.JSONDecodeError:
        return ()
    if not isinstance(prompts, dict):
        return ()
    return tuple(
        sorted(
            name
            for name, prompt_id in prompts.items()
            if name != "auto"
            and isinstance(prompt_id, int)
            and not isinstance(prompt_id, bool)
            and prompt_id >= 0
        )
    )


# --- CTC -----------------------------------------------------------------------------------


def _read_ctc(directory: Path, path: Path, tokens: Path, bpe_vocab: Path | None) -> SherpaDir:
    """sherpa-onnx is told the CTC family by the caller; the metadata tells them apart."""
    model = read_onnx_header(path)
    family: Family
    scores = None
    if "window_size" in model.metadata:
        family = "nemo_ctc"
        NEMO_CTC_CONTRACT.check(model)
        scores = metadata_int(model, "vocab_size") + 1
        symbols = _check_tokens(tokens, scores, blank_last=True, ctc=True)
    elif "encoder_dims" in model.metadata:
        family = "zipformer2_ctc"
        ZIPFORMER2_CTC_CONTRACT.check(model)
        symbols = _check_tokens(tokens, _last_dim(model, output=True), blank_last=False, ctc=True)
    else:
        raise ModelError(
            f"{path}: neither a NeMo CTC model (no 'window_size' in its metadata) nor a "
            "zipformer2 CTC model (no 'encoder_dims'): download the model again"
        )
    _check_scores(model, "model", scores)
    modeling_unit, letter_case = _token_traits(symbols)
    return SherpaDir(
        directory=directory,
        family=family,
        tokens=tokens,
        metadata=dict(model.metadata),
        symbols=symbols,
        model=path,
        bpe_vocab=bpe_vocab,
        feature_dim=_feature_dim_of_ctc(model, family),
        modeling_unit=modeling_unit,
        letter_case=letter_case,
    )


def _feature_dim_of_ctc(model: OnnxHeader, family: Family) -> int:
    """NeMo CTC takes (N, C, T) and is handed ``feature_dim`` (80 unless told); zipformer2
    (N, T, C)."""
    dims = model.inputs[0].dims if model.inputs else None
    size = (dims[1] if family == "nemo_ctc" else dims[-1]) if dims and len(dims) == 3 else None
    return size if isinstance(size, int) and size > 0 else DEFAULT_FEATURE_DIM


# --- contracts: what each file of each family must declare -----------------------------


@dataclass(frozen=True)
class Contract:
    """What sherpa-onnx reads of one ONNX file: metadata and how many inputs and outputs.

    ``ints``: SHERPA_ONNX_READ_META_DATA (present, an integer, not negative; ``positive``
    ones also not 0, which sherpa-onnx divides or loops by). ``int_lists``:
    SHERPA_ONNX_READ_META_DATA_VEC (comma lists of one length each). ``inputs`` and
    ``outputs``: the counts sherpa-onnx passes and takes by position, from the metadata.
    """

    role: str
    ints: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    int_lists: tuple[str, ...] = ()
    inputs: Callable[[Mapping[str, Sequence[int]]], int] | None = None
    outputs: Callable[[Mapping[str, Sequence[int]]], int] | None = None
    min_outputs: int = 1

    def check(self, header: OnnxHeader) -> None:
        values: dict[str, Sequence[int]] = {}
        for key in (*self.ints, *self.positive):
            values[key] = (metadata_int(header, key, positive=key in self.positive),)
        for key in self.int_lists:
            values[key] = _int_list(header, key)
        if self.int_lists:
            lengths = {key: len(values[key]) for key in self.int_lists}
            if len(set(lengths.values())) > 1:
                listed = ", ".join(f"{key} has {n}" for key, n in lengths.items())
                raise ModelError(
                    f"{header.path}: the metadata lists differ in length ({listed}): "
                    "export the model again"
                )
        self._count(header, "inputs", len(header.inputs), self.inputs, values, 0)
        self._count(header, "outputs", len(header.outputs), self.outputs, values, self.min_outputs)

    def _count(
        self,
        header: OnnxHeader,
        what: str,
        found: int,
        expected: Callable[[Mapping[str, Sequence[int]]], int] | None,
        values: Mapping[str, Sequence[int]],
        at_least: int,
    ) -> None:
        if expected is not None:
            wanted = expected(values)
            if found != wanted:
                raise ModelError(
                    f"{header.path}: the {self.role} has {found} {what}, sherpa-onnx passes "
                    f"{wanted} for this model: export the model again"
                )
        elif found < at_least:
            raise ModelError(
                f"{header.path}: the {self.role} has {found} {what}, sherpa-onnx needs at "
                f"least {at_least}: export the model again"
            )


def _fixed(count: int) -> Callable[[Mapping[str, Sequence[int]]], int]:
    return lambda _values: count


def _zipformer_states(values: Mapping[str, Sequence[int]]) -> int:
    """x, then 7 caches per encoder stack (csrc/online-zipformer-transducer-model.cc)."""
    return 1 + 7 * len(values["encoder_dims"])


def _zipformer2_states(values: Mapping[str, Sequence[int]]) -> int:
    """x, 6 caches per layer, embed_states, processed_lens (online-zipformer2-*-model.cc)."""
    return 1 + 6 * sum(values["num_encoder_layers"]) + 2


def _ebranchformer_states(values: Mapping[str, Sequence[int]]) -> int:
    """x, 4 caches per layer, processed_lens (online-ebranchformer-transducer-model.cc)."""
    return 1 + 4 * values["num_hidden_layers"][0] + 1


_ZIPFORMER2_LISTS = (
    "encoder_dims",
    "query_head_dims",
    "value_head_dims",
    "num_heads",
    "num_encoder_layers",
    "cnn_module_kernels",
    "left_context_len",
)
_CHUNK = ("T", "decode_chunk_len")

ENCODER_CONTRACTS: dict[Family, Contract] = {
    "lstm": Contract(
        "encoder",
        ints=("num_encoder_layers", "rnn_hidden_size", "d_model"),
        positive=_CHUNK,
        inputs=_fixed(3),
        outputs=_fixed(3),
    ),
    "conformer": Contract(
        "encoder",
        ints=(
            "num_encoder_layers",
            "left_context",
            "encoder_dim",
            "pad_length",
            "cnn_module_kernel",
        ),
        positive=_CHUNK,
        inputs=_fixed(4),
        outputs=_fixed(3),
    ),
    "ebranchformer": Contract(
        "encoder",
        ints=(
            "num_hidden_layers",
            "hidden_size",
            "intermediate_size",
            "csgu_kernel_size",
            "merge_conv_kernel",
            "left_context_len",
            "num_heads",
            "head_dim",
        ),
        positive=_CHUNK,
        inputs=_ebranchformer_states,
        outputs=_ebranchformer_states,
    ),
    "zipformer": Contract(
        "encoder",
        positive=_CHUNK,
        int_lists=(
            "encoder_dims",
            "attention_dims",
            "num_encoder_layers",
            "cnn_module_kernels",
            "left_context_len",
        ),
        inputs=_zipformer_states,
        outputs=_zipformer_states,
    ),
    "zipformer2": Contract(
        "encoder",
        positive=_CHUNK,
        int_lists=_ZIPFORMER2_LISTS,
        inputs=_zipformer2_states,
        outputs=_zipformer2_states,
    ),
}
DECODER_CONTRACT = Contract(
    "decoder", positive=("vocab_size", "context_size"), inputs=_fixed(1), outputs=_fixed(1)
)
JOINER_CONTRACT = Contract("joiner", inputs=_fixed(2))
_NEMO_CACHES = tuple(f"cache_last_{name}_dim{i}" for name in ("channel", "time") for i in (1, 2, 3))
NEMO_ENCODER = Contract(
    "encoder",
    ints=("pred_rnn_layers", "pred_hidden", *_NEMO_CACHES),
    positive=("vocab_size", "window_size", "chunk_shift", "subsampling_factor"),
    # features, length, three caches; 3.5 adds prompt_index (checked by name, below)
    inputs=None,
    outputs=_fixed(5),
)
NEMO_DECODER = Contract("decoder", inputs=_fixed(4), outputs=_fixed(4))
NEMO_CTC_CONTRACT = Contract(
    "model",
    ints=_NEMO_CACHES,
    positive=("vocab_size", "window_size", "chunk_shift", "subsampling_factor"),
    inputs=_fixed(5),
    outputs=_fixed(5),
)
ZIPFORMER2_CTC_CONTRACT = Contract(
    "model",
    positive=_CHUNK,
    int_lists=_ZIPFORMER2_LISTS,
    inputs=_zipformer2_states,
    outputs=_zipformer2_states,
)


def _int_list(header: OnnxHeader, key: str) -> tuple[int, ...]:
    """SHERPA_ONNX_READ_META_DATA_VEC: a comma list of integers (sherpa-onnx exits otherwise)."""
    text = header.metadata.get(key, "")
    if not text:
        raise ModelError(
            f"{header.path}: metadata key {key!r} is missing; sherpa-onnx needs it: "
            "export the model with icefall's script, or download it again"
        )
    parts = [part for part in text.split(",") if part]
    if not parts or not all(re.fullmatch(r"\s*[+-]?\d+", part) for part in parts):
        raise ModelError(
            f"{header.path}: metadata {key}={text!r} is not a comma list of integers: "
            "export the model again"
        )
    values = tuple(int(part) for part in parts)
    if any(value <= 0 or value > INT32_MAX for value in values):
        raise ModelError(
            f"{header.path}: metadata {key}={text!r} must hold positive integers: "
            "export the model again"
        )
    return values


# --- bpe.vocab ------------------------------------------------------------------------------

_SCORE = re.compile(rb"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _check_bpe_vocab(path: Path) -> None:
    """ssentencepiece's LoadVocab reads ``piece score`` from every line and calls exit() on one
    without them (bpe.model, the binary sentencepiece file, passed for it is the usual case)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline that ends the last line
    for number, line in enumerate(lines, start=1):
        fields = line.split(maxsplit=1)
        if len(fields) < 2 or not _SCORE.match(fields[1]):
            raise ModelError(
                f"{path}: line {number} is not 'piece score' (a bpe.model is binary, not a "
                "bpe.vocab): use the bpe.vocab released with the model, or remove it"
            )


def vocab_of_bpe_model(path: Path) -> Path:
    """The ``bpe.vocab`` sherpa-onnx's hotwords read, written from a released ``bpe.model``
    (many releases ship only that): ``piece\tscore`` per id, as sherpa-onnx's own export
    writes it, cached by the model's digest so a read-only model folder is never written."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None
    vocab = paths.cache_dir() / "bpe-vocab" / f"{hashlib.sha256(data).hexdigest()[:32]}.vocab"
    if vocab.is_file():
        return vocab
    processor = sentencepiece.SentencePieceProcessor()
    try:
        processor.LoadFromSerializedProto(data)
    except (RuntimeError, OSError):
        raise ModelError(
            f"{path}: not a sentencepiece model: download the model again, or remove the file"
        ) from None
    lines = (
        f"{processor.IdToPiece(i)}\t{processor.GetScore(i)}\n"
        for i in range(processor.GetPieceSize())
    )
    partial = vocab.with_suffix(f".{os.getpid()}.partial")
    try:
        vocab.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text("".join(lines), encoding="utf-8")
        partial.replace(vocab)
    except OSError as exc:
        raise ModelError(
            f"{vocab.parent}: cannot write the bpe.vocab made from {path} ({exc.strerror}); "
            "free space there, or put the model's bpe.vocab beside it"
        ) from None
    return vocab


# --- tokens.txt -----------------------------------------------------------------------------


def read_tokens(path: Path) -> dict[int, str]:
    """Id -> symbol, parsed as sherpa-onnx's ReadTokens does (csrc/symbol-table.cc): lines split
    at ``\\n``, fields at ASCII whitespace; ``symbol id``, or ``id`` alone for a space. A line
    it cannot parse ends sherpa-onnx; an id that appears twice or is out of range is refused
    here too (sherpa-onnx would keep the first and show the wrong text)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(
            f"{path}: file is missing from the model directory: download the model again"
        ) from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None
    symbols: dict[int, str] = {}
    for number, line in enumerate(data.split(b"\n"), start=1):
        fields = line.split()  # bytes.split: ASCII whitespace only, as istream >> does
        if not fields:
            continue
        if len(fields) == 1 and INTEGER.fullmatch(fields[0].decode("ascii", "replace")):
            symbol, id_field = b" ", fields[0]
        elif len(fields) == 2 and INTEGER.fullmatch(fields[1].decode("ascii", "replace")):
            symbol, id_field = fields
        else:
            shown = line.strip().decode("utf-8", "replace")
            raise ModelError(
                f"{path}: line {number} is {shown!r}, not 'symbol id': "
                "use the tokens.txt released with the model"
            )
        token_id = int(id_field)
        if not 0 <= token_id <= INT32_MAX:
            raise ModelError(f"{path}: line {number}: id {token_id} is out of range")
        if token_id in symbols:
            raise ModelError(
                f"{path}: line {number}: id {token_id} appears twice: "
                "use the tokens.txt released with the model"
            )
        symbols[token_id] = symbol.decode("utf-8", "replace")
    if not symbols:
        raise ModelError(f"{path}: no tokens in it: use the tokens.txt released with the model")
    return symbols


def _check_tokens(
    path: Path, vocab_size: int | None, *, blank_last: bool, ctc: bool = False
) -> dict[int, str]:
    """Every id the model can emit has a symbol (sherpa-onnx looks them up unchecked); NeMo's
    ``<blk>`` is the last of exactly ``vocab_size``; a CTC model's blank is named (sherpa-onnx
    exits otherwise)."""
    symbols = read_tokens(path)
    if ctc and not set(symbols.values()) & set(CTC_BLANKS):
        raise ModelError(
            f"{path}: no blank token ({', '.join(CTC_BLANKS)}); a CTC model needs one: "
            "use the tokens.txt released with the model"
        )
    if blank_last:
        blanks = [token_id for token_id, symbol in symbols.items() if symbol == BLANK]
        if not blanks:
            raise ModelError(
                f"{path}: no {BLANK} token; this model needs it last: download the model again"
            )
        # sherpa-onnx keeps a symbol's first id
        if vocab_size is not None and (len(symbols) != vocab_size or blanks[0] != vocab_size - 1):
            raise ModelError(
                f"{path}: {len(symbols)} tokens with {BLANK} at {blanks[0]}; the model has "
                f"{vocab_size} with {BLANK} last: use the tokens.txt released with the model"
            )
    expected = range(vocab_size if vocab_size is not None else len(symbols))
    missing = [token_id for token_id in expected if token_id not in symbols]
    if missing:
        raise ModelError(
            f"{path}: no symbol for id {missing[0]} ({len(missing)} ids missing of "
            f"{len(expected)}): use the tokens.txt released with the model"
        )
    return symbols


def _token_traits(symbols: Mapping[int, str]) -> tuple[ModelingUnit, LetterCase]:
    """``modeling_unit`` and ``letter_case`` of a symbol table (SherpaDir's fields)."""
    pieces = [s for s in symbols.values() if not (s.startswith("<") and s.endswith(">"))]
    bpe = any(s.startswith(WORD_START) or (s.isascii() and s.isalpha()) for s in pieces)
    cjk = any(_CJK.search(s) for s in pieces)
    unit: ModelingUnit = "cjkchar+bpe" if bpe and cjk else "cjkchar" if cjk else "bpe"
    letters = "".join(pieces)
    upper, lower = any(c.isupper() for c in letters), any(c.islower() for c in letters)
    case: LetterCase = "mixed" if upper == lower else "upper" if upper else "lower"
    return unit, case
