"""The set-up's system-package step, where it cannot install: one line, what and how."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import system_deps


def test_without_an_installer_one_line_names_what_is_missing_and_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "system-packages.txt"
    listed.write_text(
        "# package  needed by  gives\n"
        "coreutils  run        prog:ls\n"
        "no-such    test       prog:captions-tui-no-such-program lib:captions-no-such-lib\n"
    )
    monkeypatch.setattr(system_deps, "_installer", lambda: None)
    assert system_deps.main(["run"], listed) == 0  # ls is there: nothing to do
    assert system_deps.main(["test"], listed) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "missing captions-tui-no-such-program, captions-no-such-lib" in line
    assert "sudo apt-get install -y no-such" in line


def test_the_list_names_a_probe_for_every_package() -> None:
    packages = system_deps.read_packages()
    assert {p.name for p in packages} >= {"libportaudio2", "espeak-ng", "pulseaudio", "tmux"}
    assert all(p.provides and p.needed_by in ("run", "test") for p in packages)
