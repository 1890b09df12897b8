"""Shared fixtures: generated model directories and speech (no network, no weights in git)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.held_out import HeldOut, write_held_out
from tools.avsr_model import MICRO, build, train_tokenizer, write_model_dir
from tools.random_model import make_random_model
from tools.random_sherpa import make_random_sherpa
from tools.random_wav2vec2 import make_random_wav2vec2
from tools.tiny_model.data import load_vocabulary
from tui_captions.asr.runtime import configure_threads
from tui_captions.text.names import BUNDLED

# In-process decoding runs on the app's thread policy: with torch's default of one
# thread per core, a busy neighbour makes every chunk many times slower.
configure_threads()

pytest_plugins = ["tests.pulse"]

# Property-based tests: a few dozen cases a run, the same ones on every run (derandomized:
# CI's verdict depends on the change, not on the draw); HYPOTHESIS_PROFILE=nightly draws
# new ones, many more (a failure prints the case and its seed).
settings.register_profile(
    "default",
    max_examples=24,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
# Tests that start a real process per case (seconds each) draw a sixth of the profile's
# count, at least 4: the process boundary (exit status, one line, no signal death) is their
# subject; in-process tests of the same strategies (of the decoding, for `live --input`)
# draw the whole count.
PROCESS_CASES = settings(
    max_examples=max(4, settings().max_examples // 6),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Tests that capture from the private sound server, drive a terminal or a browser, or
# time what they see run one after another on one xdist worker (``make test`` runs
# ``--dist loadgroup``): they keep a core to themselves while the other worker decodes.
REALTIME_FIXTURES = frozenset({"pulse_daemon", "pulse_server", "null_sink", "terminal"})
REALTIME_MODULES = frozenset(
    {
        "test_tui_tmux",
        "test_web_captions",
        "test_web_browser",
        "test_nothing_outlives",
        "test_journal_kill",
        "test_live_cli",
        "test_meeting_mode",
        "test_sessions_live",
    }
)


# Tests that build the wheel from the one source tree (setuptools writes its build/ folder
# there: two builds at once trip over each other) share a worker too.
WHEEL_MODULES = frozenset({"test_tui_wheel"})


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = frozenset(getattr(item, "fixturenames", ()))
        if fixtures & REALTIME_FIXTURES or item.path.stem in REALTIME_MODULES:
            item.add_marker(pytest.mark.xdist_group("realtime"))
        elif item.path.stem in WHEEL_MODULES:
            item.add_marker(pytest.mark.xdist_group("wheel"))


@pytest.fixture(autouse=True, scope="session")
def private_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Sessions that tests start (live, the TUI) are journaled here, never in the user's data dir,
    their log is written here, and the user's settings file is not read; child processes inherit
    all three. Their settings name the bundled punctuation model: the published one is a
    download (tested on loopback)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
    patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state-home")))  # the log
    patch.setenv("XDG_CONFIG_HOME", settings_home(tmp_path_factory.mktemp("config-home")))
    yield
    patch.undo()


def settings_home(folder: Path) -> str:
    """A config home (``XDG_CONFIG_HOME``) of the tests' settings: the bundled punctuation."""
    settings = folder / "captions-tui" / "settings.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text(f'punctuation = "{BUNDLED}"\n')
    return str(folder)


@pytest.fixture(scope="session")
def random_av_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random scripted model with the device AV model's interface and the tutorial's file
    names (the published 99 MB file is not in git), its joiner leaning a little to words."""
    rng = random.Random(0)
    words = load_vocabulary()
    tokenizer = train_tokenizer([" ".join(rng.sample(words, 8)) for _ in range(2000)], 300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript's deprecation notice
        model = build(MICRO, symbols=301, seed=3, blank_bias=-1.0)
        return write_model_dir(tmp_path_factory.mktemp("av") / "random-av", model, tokenizer)


@pytest.fixture(scope="session")
def random_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random model that emits a few tokens per chunk of speech."""
    directory = tmp_path_factory.mktemp("models") / "random-small"
    make_random_model(directory, size="small", blank_bias=2.0, seed=0)
    return directory


MICRO_OVERRIDES = {
    "encoding_dim": 64,
    "transformer_num_heads": 2,
    "transformer_ffn_dim": 128,
    "transformer_num_layers": 2,
    "symbol_embedding_dim": 64,
    "time_reduction_input_dim": 32,
}


@pytest.fixture(scope="session")
def micro_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random model of a few hundred kB: for tests of files and plumbing, not of speed."""
    directory = tmp_path_factory.mktemp("models") / "random-micro"
    make_random_model(directory, size="small", blank_bias=2.0, seed=1, overrides=MICRO_OVERRIDES)
    return directory


@pytest.fixture(scope="session")
def wav2vec2_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random wav2vec2 CTC model (raw-waveform front end, LibriSpeech labels)."""
    directory = tmp_path_factory.mktemp("models") / "random-wav2vec2"
    make_random_wav2vec2(directory, size="small", blank_bias=1.0, seed=0)
    return directory


@pytest.fixture(scope="session")
def sherpa_lstm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight sherpa-onnx LSTM transducer in the released layout (tens of kB)."""
    directory = tmp_path_factory.mktemp("models") / "sherpa-lstm"
    make_random_sherpa(directory, "lstm")
    return directory


def espeak_wav(path: Path, text: str) -> Path:
    """Speak ``text`` into a WAV file (espeak-ng's native 22.05 kHz)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="session")
def held_out_clip(tmp_path_factory: pytest.TempPathFactory) -> HeldOut:
    """The tiny models' held-out sentences in one file, synthesized once (tests/held_out.py)."""
    return write_held_out(tmp_path_factory.mktemp("held-out"))


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few seconds of espeak-ng speech."""
    directory = tmp_path_factory.mktemp("audio")
    text = "the quick brown fox jumps over the lazy dog near the river"
    return espeak_wav(directory / "speech.wav", text)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 kB tmpfs: a disk that fills up (skipped where mounting is not allowed)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)
