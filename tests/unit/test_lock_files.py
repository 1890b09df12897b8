"""The lock files: what a fresh clone installs is exactly what was tested.

A dependency added to pyproject.toml without `make lock` would be missing from a fresh
machine's install (the lock is installed with --no-deps), and a venv that drifted from
the lock tests something CI never runs. The locks are universal (every Python from 3.10,
every platform, each line's marker says where it applies); these tests read the lines
that apply here.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as canonical

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)(?: ; ([^\\]+?))?\s*\\?$")


def pins(lock: str) -> dict[str, str]:
    """Package -> version of a lock file, of the lines whose marker holds here."""
    found: dict[str, str] = {}
    for line in (REQUIREMENTS / lock).read_text().splitlines():
        match = PIN.match(line)
        if match is None or (match[3] and not Marker(match[3]).evaluate()):
            continue
        name = canonical(match[1])
        assert name not in found, f"{lock} pins {name} twice for this Python"
        found[name] = match[2]
    assert found, f"{lock} pins nothing"
    return found


def test_the_locks_hold_python_3_10_too() -> None:
    """README says Python 3.10+: what 3.10 alone needs is locked (its markers say so)."""
    for lock in ("run.txt", "test.txt"):
        text = (REQUIREMENTS / lock).read_text()
        assert re.search(r"^tomli==\S+ ; python_full_version < '3\.11'", text, re.M), lock


def declared(*extras: str) -> set[str]:
    """The names pyproject.toml depends on here (this project's own extras followed; a
    dependency for another Python, as tomli for 3.10, is not this lock's)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    for extra in extras:
        requirements += map(Requirement, project["optional-dependencies"][extra])
    names = set()
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        if canonical(requirement.name) == canonical(project["name"]):
            names |= declared(*requirement.extras)
        else:
            names.add(canonical(requirement.name))
    return names


def test_every_declared_dependency_is_locked() -> None:
    assert declared() - pins("run.txt").keys() == set(), "run `make lock`"
    assert declared("test") - pins("test.txt").keys() == set(), "run `make lock`"


def test_the_app_lock_is_the_test_lock_less_the_tools() -> None:
    run, test = pins("run.txt"), pins("test.txt")
    assert {name: test.get(name) for name in run} == run


def test_the_tested_torch_pair_is_the_locked_one() -> None:
    wanted = {
        canonical(match[1]): match[2]
        for line in (REQUIREMENTS / "pins.txt").read_text().splitlines()
        if (match := PIN.match(line))
    }
    assert wanted, "pins.txt pins torch and torchaudio"
    for lock in ("run.txt", "test.txt"):
        assert {name: pins(lock)[name] for name in wanted} == wanted


def test_this_environment_is_the_locked_set() -> None:
    """What `make test` installed is what the lock says, version for version."""
    drifted = {}
    for name, version in pins("test.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            drifted[name] = f"{installed}, locked {version}"
    assert drifted == {}, "reinstall: rm .venv/.installed-test && make test"
