"""Damaged sherpa-onnx models through `captions-tui transcribe --model DIR`, in real processes.

sherpa-onnx ends the process (``_Exit``, a segfault, an abort) on a model it cannot
run; through captions-tui the same directory must be one ``captions-tui: error:`` line
naming the file and exit 2, never 255 or a signal. Property-based: any family, any
damage of ``tests/sherpa_damage.py`` (what sherpa-onnx runs as it is must still run).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import PROCESS_CASES
from tests.sherpa_damage import damaged_copy, damages
from tools.random_sherpa import BUILDERS, make_random_sherpa
from tui_captions.asr.sherpa.model_dir import Family, SherpaDir

CLI = [sys.executable, "-m", "tui_captions.cli", "transcribe"]
FAMILIES: list[Family] = sorted(BUILDERS)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[Family, SherpaDir]:
    root = tmp_path_factory.mktemp("sherpa")
    return {family: make_random_sherpa(root / family, family) for family in FAMILIES}


@PROCESS_CASES
@given(data=st.data(), family=st.sampled_from(FAMILIES))
def test_a_damaged_model_is_one_line_and_exit_2_never_a_dead_process(
    models: dict[Family, SherpaDir], speech_wav: Path, data: st.DataObject, family: Family
) -> None:
    whole = models[family]
    damage = data.draw(damages(family, whole.directory), label="damage")
    with tempfile.TemporaryDirectory() as where:
        directory, damaged = damaged_copy(whole.directory, damage, Path(where))
        done = subprocess.run(
            [*CLI, str(speech_wav), "--model", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode >= 0 and done.returncode != 255, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    if not damage.refused(family):
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("captions-tui: error: ")
    assert str(damaged) in errors[0]
