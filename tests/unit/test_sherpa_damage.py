"""Damaged sherpa-onnx models are refused in one line naming the file, before sherpa-onnx can end
the process on them; and sherpa-onnx does end it, so the checks are not for show."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sherpa_damage import (
    READS,
    Damage,
    damaged_copy,
    damages,
    sherpa_in_a_child,
    write_bpe_vocab,
)
from tools.random_sherpa import BUILDERS, make_random_sherpa
from tui_captions.asr.sherpa.model_dir import Family, SherpaDir, read_sherpa_dir
from tui_captions.errors import ModelError

FAMILIES: list[Family] = sorted(BUILDERS)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[Family, SherpaDir]:
    root = tmp_path_factory.mktemp("sherpa")
    return {family: make_random_sherpa(root / family, family) for family in FAMILIES}


@settings(max_examples=60)
@given(data=st.data(), family=st.sampled_from(FAMILIES))
def test_a_damaged_model_is_refused_in_one_line_naming_the_file(
    models: dict[Family, SherpaDir], data: st.DataObject, family: Family
) -> None:
    whole = models[family]
    damage = data.draw(damages(family, whole.directory), label="damage")
    with tempfile.TemporaryDirectory() as where:
        directory, damaged = damaged_copy(whole.directory, damage, Path(where))
        if not damage.refused(family):
            assert read_sherpa_dir(directory).family == family
            return
        with pytest.raises(ModelError) as refusal:
            read_sherpa_dir(directory)
    message = str(refusal.value)
    assert str(damaged) in message
    assert "\n" not in message


@pytest.mark.parametrize("family", FAMILIES)
def test_every_key_sherpa_onnx_reads_is_checked(
    models: dict[Family, SherpaDir], tmp_path: Path, family: Family
) -> None:
    """Each key of the family's contract, missing or negative, is refused naming its file."""
    cases = [
        Damage(kind, role, key, "-1")
        for role, keys in READS[family].items()
        for key in keys
        for kind in ("drop_key", "set_key")
        if (kind, key) != ("set_key", "model_type")
    ]
    for number, damage in enumerate(cases):
        directory, damaged = damaged_copy(models[family].directory, damage, tmp_path / str(number))
        with pytest.raises(ModelError, match=f"{damaged}.*{damage.key}"):
            read_sherpa_dir(directory)


# Damages sherpa-onnx 2.0.1 ends the process on: _Exit(-1) (255) or a signal.
DEADLY: list[tuple[Family, Damage]] = [
    ("lstm", Damage("drop_key", "encoder", "T")),
    ("zipformer2", Damage("set_key", "encoder", "encoder_dims", "16,x")),
    ("lstm", Damage("model_type", "encoder", "model_type", "lstm2")),  # null model: SIGSEGV
    ("lstm", Damage("drop_output", "encoder")),  # reads a missing output: SIGSEGV
    ("nemo_transducer", Damage("drop_output", "decoder")),  # heap corruption: SIGABRT
    ("nemo_ctc", Damage("no_blank")),
    ("nemo_transducer", Damage("drop_key", "encoder", "pred_hidden")),
    ("zipformer", Damage("bad_line")),
]


@pytest.fixture(scope="module")
def whole_runs(models: dict[Family, SherpaDir]) -> dict[Family, int]:
    """sherpa-onnx's exit status on each undamaged model the deadly damages start from."""
    return {
        family: sherpa_in_a_child(family, models[family].directory, models[family])
        for family in sorted({family for family, _ in DEADLY})
    }


@pytest.mark.parametrize(("family", "damage"), DEADLY, ids=lambda x: getattr(x, "kind", x))
def test_sherpa_onnx_itself_dies_on_what_is_refused(
    models: dict[Family, SherpaDir],
    whole_runs: dict[Family, int],
    tmp_path: Path,
    family: Family,
    damage: Damage,
) -> None:
    whole = models[family]
    assert whole_runs[family] == 0  # before the damage it runs
    directory, damaged = damaged_copy(whole.directory, damage, tmp_path)
    status = sherpa_in_a_child(family, directory, whole)
    assert status == 255 or status < 0, status
    with pytest.raises(ModelError, match=str(damaged)):
        read_sherpa_dir(directory)


def test_a_chunk_of_no_frames_would_hang_sherpa_onnx_and_is_refused(
    models: dict[Family, SherpaDir], tmp_path: Path
) -> None:
    """decode_chunk_len 0: sherpa-onnx loops forever without moving on (seen in 2.0.1)."""
    damage = Damage("set_key", "encoder", "decode_chunk_len", "0")
    directory, damaged = damaged_copy(models["lstm"].directory, damage, tmp_path)
    with pytest.raises(ModelError, match=f"{damaged}.*decode_chunk_len=0 must be positive"):
        read_sherpa_dir(directory)


def test_a_bpe_vocab_that_is_not_one_would_end_sherpa_onnx_and_is_refused(
    tmp_path: Path,
) -> None:
    """ssentencepiece exit()s on a line without 'piece score' once hotwords are spelt with it."""
    whole = make_random_sherpa(tmp_path / "model", "lstm")
    vocab = write_bpe_vocab(whole)
    assert read_sherpa_dir(whole.directory).bpe_vocab == vocab
    assert sherpa_in_a_child("lstm", whole.directory, whole, vocab) == 0
    Damage("bad_bpe_vocab").apply(whole.directory)
    assert sherpa_in_a_child("lstm", whole.directory, whole, vocab) == 255
    with pytest.raises(ModelError, match=f"{vocab}: line 1 is not 'piece score'"):
        read_sherpa_dir(whole.directory)
