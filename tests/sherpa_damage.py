"""Damaged sherpa-onnx model directories, and sherpa-onnx itself run on them in a child process.

``READS`` is written from sherpa-onnx's C++ source (``csrc/online-*-model.cc``), not from
``model_dir``'s tables, so that the tests check the code against the source.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import onnx
from hypothesis import strategies as st

from tui_captions.asr.sherpa.model_dir import Family, SherpaDir, read_tokens

_NEMO_CACHES = tuple(f"cache_last_{n}_dim{i}" for n in ("channel", "time") for i in (1, 2, 3))
_ICEFALL_DECODER = ("vocab_size", "context_size")
_ZIPFORMER2 = (
    "encoder_dims",
    "query_head_dims",
    "value_head_dims",
    "num_heads",
    "num_encoder_layers",
    "cnn_module_kernels",
    "left_context_len",
    "T",
    "decode_chunk_len",
)
# family -> file role -> the metadata keys sherpa-onnx 2.0.1 requires there (it _Exits without).
READS: dict[Family, dict[str, tuple[str, ...]]] = {
    "lstm": {
        "encoder": (
            "model_type",
            "num_encoder_layers",
            "T",
            "decode_chunk_len",
            "rnn_hidden_size",
            "d_model",
        ),
        "decoder": _ICEFALL_DECODER,
    },
    "conformer": {
        "encoder": (
            "model_type",
            "num_encoder_layers",
            "T",
            "decode_chunk_len",
            "left_context",
            "encoder_dim",
            "pad_length",
            "cnn_module_kernel",
        ),
        "decoder": _ICEFALL_DECODER,
    },
    "ebranchformer": {
        "encoder": (
            "model_type",
            "decode_chunk_len",
            "T",
            "num_hidden_layers",
            "hidden_size",
            "intermediate_size",
            "csgu_kernel_size",
            "merge_conv_kernel",
            "left_context_len",
            "num_heads",
            "head_dim",
        ),
        "decoder": _ICEFALL_DECODER,
    },
    "zipformer": {
        "encoder": (
            "model_type",
            "encoder_dims",
            "attention_dims",
            "num_encoder_layers",
            "cnn_module_kernels",
            "left_context_len",
            "T",
            "decode_chunk_len",
        ),
        "decoder": _ICEFALL_DECODER,
    },
    "zipformer2": {"encoder": ("model_type", *_ZIPFORMER2), "decoder": _ICEFALL_DECODER},
    "nemo_transducer": {
        "encoder": (
            "vocab_size",
            "window_size",
            "chunk_shift",
            "subsampling_factor",
            "pred_rnn_layers",
            "pred_hidden",
            *_NEMO_CACHES,
        ),
    },
    "nemo_ctc": {
        "model": ("window_size", "chunk_shift", "subsampling_factor", "vocab_size", *_NEMO_CACHES),
    },
    "zipformer2_ctc": {"ctc": _ZIPFORMER2},
}
LIST_KEYS = frozenset(
    {"encoder_dims", "attention_dims", "cnn_module_kernels", "left_context_len", *_ZIPFORMER2}
) - {"T", "decode_chunk_len"}
# Families whose tokens.txt must hold a blank (NeMo: <blk> last; CTC: <blk>/<eps>/<blank>).
NEEDS_BLANK = frozenset({"nemo_transducer", "nemo_ctc", "zipformer2_ctc"})


def write_bpe_vocab(model: SherpaDir) -> Path:
    """A bpe.vocab (``piece score`` a line) for ``model``'s tokens, as releases ship one."""
    pieces = read_tokens(model.tokens).values()
    path = model.directory / "bpe.vocab"
    path.write_text("".join(f"{piece} {-i / 10:.2f}\n" for i, piece in enumerate(pieces)))
    return path


def onnx_file(directory: Path, role: str) -> Path:
    return min(directory.glob(f"{role}*.onnx"))


@dataclass(frozen=True)
class Damage:
    """One thing wrong with a model directory; ``apply`` returns the file it damaged."""

    kind: str  # drop_key, set_key, model_type, drop_output, extra_input, truncate, no_tokens,
    # no_blank, bad_line, bad_bpe_vocab
    role: str = ""
    key: str = ""
    value: str = ""
    keep: float = 0.5  # truncate: the part of the file left

    def apply(self, directory: Path) -> Path:
        tokens = directory / "tokens.txt"
        if self.kind == "no_tokens":
            tokens.unlink()
            return tokens
        if self.kind == "no_blank":
            tokens.write_text(tokens.read_text().replace("<blk>", "<b1k>"))
            return tokens
        if self.kind == "bad_bpe_vocab":  # a bpe.model (binary) where bpe.vocab goes
            vocab = directory / "bpe.vocab"
            vocab.write_bytes(b"\n\x0a\x05<unk>\x15\x00\x00\x00\x00\x18\x02\n")
            return vocab
        if self.kind == "bad_line":
            lines = tokens.read_text().splitlines()
            lines[len(lines) // 2] += " 7"
            tokens.write_text("\n".join(lines) + "\n")
            return tokens
        path = onnx_file(directory, self.role)
        if self.kind == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: max(1, int(len(data) * self.keep))])
            return path
        model = onnx.load(path)
        entries = {entry.key: entry for entry in model.metadata_props}
        if self.kind == "drop_key":
            model.metadata_props.remove(entries[self.key])
        elif self.kind in ("set_key", "model_type"):
            entries[self.key].value = self.value
        elif self.kind == "drop_output":
            model.graph.output.pop()
        elif self.kind == "extra_input":
            extra = onnx.helper.make_tensor_value_info("extra", onnx.TensorProto.FLOAT, [1])
            model.graph.input.append(extra)
        onnx.save(model, path)
        return path

    def refused(self, family: Family) -> bool:
        """Whether ``read_sherpa_dir`` must refuse it (the rest sherpa-onnx runs as it is)."""
        if self.kind in ("drop_key", "set_key"):
            return self.key in READS[family].get(self.role, ())
        if self.kind == "no_blank":
            return family in NEEDS_BLANK
        return True


_BAD_INTS = st.sampled_from(["-1", "-32", "abc", "", "1.5x", "99999999999"])
_BAD_LISTS = st.sampled_from(["-1", "16,-2", "16,x", "", ",", "a,b"])


@st.composite
def damages(draw: st.DrawFn, family: Family, directory: Path) -> Damage:
    """Any damage ``directory`` (a whole model of ``family``) can take."""
    roles = sorted(path.name.split("-")[0].split(".")[0] for path in directory.glob("*.onnx"))
    kind = draw(
        st.sampled_from(
            [
                "drop_key",
                "set_key",
                "drop_output",
                "extra_input",
                "truncate",
                "no_tokens",
                "no_blank",
                "bad_line",
                "bad_bpe_vocab",
                *(["model_type"] if "model_type" in READS[family].get("encoder", ()) else []),
            ]
        )
    )
    role = draw(st.sampled_from(roles))
    if kind == "model_type":
        value = draw(st.sampled_from(["", "lstm2", "zipformer3", "transformer", "Zipformer"]))
        return Damage(kind, "encoder", "model_type", value)
    if kind in ("drop_key", "set_key"):
        keys = sorted(entry.key for entry in onnx.load(onnx_file(directory, role)).metadata_props)
        if not keys:
            return Damage("drop_output", role)
        key = draw(st.sampled_from(keys))
        if key == "model_type":
            return Damage(kind, role, key, "lstm3")
        value = draw(_BAD_LISTS if key in LIST_KEYS else _BAD_INTS)
        return Damage(kind, role, key, value)
    if kind == "truncate":
        return Damage(kind, role, keep=draw(st.floats(0.01, 0.9)))
    return Damage(kind, role)


def damaged_copy(model: Path, damage: Damage, where: Path) -> tuple[Path, Path]:
    """A copy of ``model`` under ``where`` with ``damage`` done; (directory, damaged file)."""
    target = where / "model"
    shutil.copytree(model, target)
    return target, damage.apply(target)


_RECOGNIZER = """
import sys
import numpy as np
import sherpa_onnx
family, tokens, bpe_vocab, *files = sys.argv[1:]
if family == "nemo_ctc":
    engine = sherpa_onnx.OnlineRecognizer.from_nemo_ctc(tokens=tokens, model=files[0])
elif family == "zipformer2_ctc":
    engine = sherpa_onnx.OnlineRecognizer.from_zipformer2_ctc(tokens=tokens, model=files[0])
else:
    encoder, decoder, joiner = files
    search = {}
    if bpe_vocab:  # sherpa-onnx's hotwords, spelt in word pieces through bpe.vocab
        hotwords = bpe_vocab + ".hotwords"
        with open(hotwords, "w") as file:
            file.write("tea :2.0\\n")
        search = dict(
            decoding_method="modified_beam_search",
            hotwords_file=hotwords,
            modeling_unit="bpe",
            bpe_vocab=bpe_vocab,
        )
    engine = sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=tokens, encoder=encoder, decoder=decoder, joiner=joiner, **search
    )
stream = engine.create_stream()
stream.accept_waveform(16000, np.full(16000, 0.01, dtype=np.float32))
stream.input_finished()
while engine.is_ready(stream):
    engine.decode_stream(stream)
print(engine.get_result(stream))
"""


def sherpa_in_a_child(
    family: Family, directory: Path, whole: SherpaDir, bpe_vocab: Path | None = None
) -> int:
    """sherpa-onnx's own recogniser on ``directory``'s files (named as in ``whole``, the model
    before the damage), in a child process: its exit status (negative: the signal). With
    ``bpe_vocab``: the beam search with a hotword spelt through it."""
    files = [str(directory / path.name) for path in whole.onnx_files]
    tokens = str(directory / "tokens.txt")
    result = subprocess.run(
        [sys.executable, "-c", _RECOGNIZER, family, tokens, str(bpe_vocab or ""), *files],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode
