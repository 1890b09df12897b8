"""The app's command line: lazy imports, options, and errors before any screen is drawn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

COMMAND = str(Path(sys.executable).parent / "captions-tui")


def test_the_cli_imports_neither_torch_nor_textual_until_needed() -> None:
    code = (
        "import sys\n"
        "from tui_captions.cli import build_parser\n"
        "build_parser().parse_args(['transcribe', 'x.wav'])\n"
        "from tui_captions.commands import app\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'textual', 'numpy'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_app_module_draws_without_torch() -> None:
    code = "import sys\nimport tui_captions.tui.app\nprint('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_unknown_device_and_stray_input_options_are_one_line_errors() -> None:
    for args in (["--device", "no-such-device-anywhere"], ["--input-format", "alsa"]):
        result = subprocess.run([COMMAND, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("captions-tui: error: "), result.stderr


def test_help_shows_the_app_options_and_the_demo() -> None:
    result = subprocess.run([COMMAND, "--help"], capture_output=True, text=True, check=True)
    for option in ("--device", "--input", "--theme", "--model", "--beam", "--threads", "demo"):
        assert option in result.stdout
