"""The app's command line: lazy imports, options, and errors before any screen is drawn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui_captions.cli import build_parser
from tui_captions.commands.demo import demo_options
from tui_captions.errors import UserError

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


def test_options_before_a_command_apply_to_it_or_are_refused_in_one_line() -> None:
    """``captions-tui --serve 8080 demo`` served nothing: the demo's defaults overwrote the
    options given before it. Now they apply; given after it too, the later wins (a
    repeatable option keeps both)."""
    parse = build_parser().parse_args
    options = demo_options(parse(["--serve", "8080", "--lines", "2", "--theme", "a", "demo"]))
    assert (options.serve, options.strip_lines, options.theme) == ("8080", 2, "a")
    assert (
        demo_options(parse(["--theme", "a", "--threads", "3", "demo", "--theme", "b"])).theme == "b"
    )
    assert demo_options(parse(["--threads", "3", "demo"])).threads == 3
    assert parse(["--model", "tiny", "transcribe", "x.wav"]).model == "tiny"
    both = parse(["--input", "a.wav", "live", "--input", "b.wav"]).sources
    assert [spec.value for spec in both] == ["a.wav", "b.wav"]
    # Given is given, whatever the value: the default's value after the command still wins,
    # and before a command without the option it is still refused.
    assert demo_options(parse(["--threads", "2", "demo", "--threads", "1"])).threads == 1
    with pytest.raises(UserError, match="--threads does not go with"):
        parse(["--threads", "1", "sessions"])
    # The program's own options go with every command.
    assert parse(["--debug", "transcribe", "x.wav"]).debug is True
    # What the command cannot use is refused, not dropped: the demo has its own model.
    for args, option in (
        (["--model", "demo-tiny", "demo"], "--model"),
        (["--lines", "2", "devices"], "--lines"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "tui_captions.cli", *args], capture_output=True, text=True
        )
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert lines[0].startswith(f"captions-tui: error: {option} does not go with "), lines
