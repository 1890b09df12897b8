"""Install the system packages a target needs, before any virtual environment exists.

Run by the Makefile with the system's Python (standard library only):
``python3 tools/system_deps.py run|test``. What is needed is read from
``tools/system-packages.txt``; what is missing is told by probing for the
programs and libraries themselves, so a machine that has them by other means
is left alone. On Debian/Ubuntu the missing packages are installed with
apt-get (as root, else through sudo); elsewhere, or without either, one line
says what is missing and how to install it, and the exit status is 1.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES_FILE = Path(__file__).with_name("system-packages.txt")
TARGETS = {"run": ("run",), "test": ("run", "test")}


@dataclass(frozen=True)
class SystemPackage:
    name: str
    needed_by: str
    provides: tuple[str, ...]  # "prog:espeak-ng", "lib:portaudio", "file:/usr/lib/*/x.so"

    def programs(self) -> list[str]:
        return [item[5:] for item in self.provides if item.startswith("prog:")]

    def missing(self) -> list[str]:
        """What of this package is not on the machine (empty: nothing to install)."""
        return [item for item in self.provides if not _present(item)]


def _present(item: str) -> bool:
    kind, _, name = item.partition(":")
    if kind == "prog":
        return shutil.which(name) is not None
    if kind == "lib":
        return ctypes.util.find_library(name) is not None
    if kind == "file":
        return any(Path("/").glob(name.lstrip("/")))
    raise ValueError(f"{PACKAGES_FILE}: unknown probe {item!r} (prog:, lib: or file:)")


def read_packages(path: Path | None = None) -> list[SystemPackage]:
    packages = []
    for line in (path or PACKAGES_FILE).read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            name, needed_by, *provides = fields
            packages.append(SystemPackage(name, needed_by, tuple(provides)))
    return packages


def _installer() -> list[str] | None:
    """The apt-get command line prefix that can install here, or None."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    return ["sudo"] if shutil.which("sudo") else None


def main(argv: list[str], packages_file: Path | None = None) -> int:
    if len(argv) != 1 or argv[0] not in TARGETS:
        print(f"usage: {Path(__file__).name} {'|'.join(TARGETS)}", file=sys.stderr)
        return 2
    wanted = [p for p in read_packages(packages_file) if p.needed_by in TARGETS[argv[0]]]
    missing = [p for p in wanted if p.missing()]
    if not missing:
        return 0
    names = " ".join(p.name for p in missing)
    prefix = _installer()
    if prefix is None:
        what = ", ".join(item.partition(":")[2] for p in missing for item in p.missing())
        print(
            f"captions-tui set-up: missing {what}; install them with your package manager "
            f"(Debian/Ubuntu: sudo apt-get install -y {names}), then run make again",
            file=sys.stderr,
        )
        return 1
    print(f"captions-tui set-up: installing system packages: {names}", file=sys.stderr)
    apt = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    for command in (
        [*apt, "update", "-qq"],
        [*apt, "install", "-y", "-q", "--no-install-recommends", *names.split()],
    ):
        if subprocess.run(command, check=False).returncode != 0:
            print(
                f"captions-tui set-up: `{' '.join(command)}` failed; install the packages "
                f"by hand (apt-get install -y {names}), then run make again",
                file=sys.stderr,
            )
            return 1
    still = [p.name for p in missing if p.missing()]
    if still:
        print(
            f"captions-tui set-up: still missing after apt-get: {' '.join(still)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
