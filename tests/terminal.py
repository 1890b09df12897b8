"""A terminal that tests and benchmarks drive as a person would: tmux runs, reads the screen."""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable


class Terminal:
    """A tmux server of our own (its own socket), so the environment is exactly ours."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return result.stdout

    def start(self, command: list[str], env: dict[str, str]) -> int:
        """``command`` in a 110x30 pane with ``env``; after it ends the pane shows its exit
        status (``EXIT=N``) for a minute. Returns the pane shell's pid."""
        shell = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        self.tmux(
            "new-session", "-d", "-s", "app", "-x", "110", "-y", "30",
            f"env {shell} {shlex.join(command)}; echo EXIT=$?; sleep 60",
        )  # fmt: skip
        return int(self.tmux("display-message", "-p", "-t", "app", "#{pane_pid}"))

    def screen(self, history: int = 0) -> str:
        """The visible screen, with ``history`` lines of scrollback above it."""
        return self.tmux("capture-pane", "-p", "-t", "app", "-S", str(-history))

    def wait_for(
        self, condition: Callable[[str], bool], what: str, timeout: float, poll_s: float = 0.1
    ) -> float:
        """Seconds until ``condition`` holds for the screen text."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if condition(self.screen()):
                return time.monotonic() - started
            time.sleep(poll_s)
        raise AssertionError(f"no {what} within {timeout:.0f} s; screen:\n{self.screen()}")
