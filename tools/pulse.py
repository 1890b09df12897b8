"""A private PulseAudio server with null sinks: a real capture device without sound hardware.

The server runs in its own runtime directory with only the modules needed
(``-n``), so it never touches the user's own sound server. ``PULSE_SERVER``
points every client (pactl, paplay, the capture worker's PortAudio ``pulse``
device) at it while it runs. As root (CI) the daemon warns but runs. The
tests (``tests/pulse.py``) and the meeting benchmark use it.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 10.0


@dataclass
class NullSink:
    """A sink whose ``monitor`` source captures whatever is played into it."""

    name: str
    module: int

    @property
    def monitor(self) -> str:
        return f"{self.name}.monitor"

    def play(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start playing a WAV file into this sink (returns at once)."""
        return subprocess.Popen(["paplay", f"--device={self.name}", str(wav)])

    def unload(self) -> None:
        """Remove the sink (and its monitor), like unplugging a device."""
        pactl("unload-module", str(self.module))


@dataclass
class PulseServer:
    socket: Path

    def add_sink(self, label: str, channels: int | None = None) -> NullSink:
        """A null sink (of ``channels`` channels; the server's default: 2)."""
        name = f"{label}_{uuid.uuid4().hex[:6]}"
        module = pactl(
            "load-module",
            "module-null-sink",
            f"sink_name={name}",
            f"sink_properties=device.description={name}",
            *([f"channels={channels}"] if channels else []),
        )
        return NullSink(name, int(module))


def pactl(*args: str) -> str:
    result = subprocess.run(
        ["pactl", *args], capture_output=True, text=True, timeout=10, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def loaded_modules() -> set[str]:
    return {line.split("\t")[0] for line in pactl("list", "short", "modules").splitlines()}


@contextmanager
def private_pulse(runtime: Path) -> Iterator[PulseServer]:
    """Run a daemon in ``runtime`` with ``PULSE_SERVER`` set; RuntimeError if it fails."""
    socket = runtime / "native"
    env = {
        **os.environ,
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "PULSE_RUNTIME_PATH": str(runtime),
    }
    env.pop("PULSE_SERVER", None)
    log = (runtime / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--use-pid-file=no",
            "-n",
            "--log-target=stderr",
            f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
            "--load=module-null-sink sink_name=default_sink",
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    saved = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = f"unix:{socket}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                pactl("info")
                break
            except RuntimeError:
                if daemon.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = (runtime / "daemon.log").read_text(errors="replace")
                    raise RuntimeError(f"PulseAudio did not start:\n{text[-2000:]}") from None
                time.sleep(0.1)
        yield PulseServer(socket)
    finally:
        if saved is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = saved
        daemon.terminate()
        try:
            daemon.wait(5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
