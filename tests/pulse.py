"""Pytest fixtures over the private PulseAudio server (``tools/pulse.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tools.pulse import NullSink, PulseServer, loaded_modules, pactl, private_pulse

__all__ = ["NullSink", "PulseServer", "pactl"]


@pytest.fixture(scope="session")
def pulse_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A PulseAudio daemon for this test session; ``PULSE_SERVER`` is set while it runs."""
    for tool in ("pulseaudio", "pactl", "paplay"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (apt-get install pulseaudio)")
    try:
        with private_pulse(tmp_path_factory.mktemp("pulse")) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pulse_server(pulse_daemon: PulseServer) -> Iterator[PulseServer]:
    """The session's daemon for one test, which leaves it as it found it: every module
    (sink) the test loaded, by any means, is unloaded afterwards, so no test sees
    another's devices whatever the order."""
    before = loaded_modules()
    yield pulse_daemon
    for module in sorted(loaded_modules() - before, key=int):
        pactl("unload-module", module)


@pytest.fixture
def null_sink(pulse_server: PulseServer) -> NullSink:
    """A fresh null sink for one test (removed afterwards with whatever else it loaded)."""
    return pulse_server.add_sink("captest")
