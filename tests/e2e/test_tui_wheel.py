"""The built wheel carries every package and the built-in themes, and an install finds them."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = ["captions-dark", "captions-high-contrast", "captions-light"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        check=True,
    )  # fmt: skip
    (built,) = out.glob("captions_tui-*.whl")
    return built


def test_wheel_has_every_package_and_the_theme_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(
        str(init.parent.relative_to(ROOT)) for init in (ROOT / "tui_captions").rglob("__init__.py")
    )
    missing = [p for p in packages if f"{p}/__init__.py" not in names]
    assert missing == [], "add them to [tool.setuptools] packages in pyproject.toml"
    themes = sorted(path.name for path in (ROOT / "themes").glob("*.toml"))
    assert themes == [f"{name}.toml" for name in BUILT_IN]
    assert {f"tui_captions/themes/{name}" for name in themes} <= names
    demo = ROOT / "tui_captions" / "demo"  # what `captions-tui demo` needs after `pip install`
    demo_files = {str(p.relative_to(ROOT)) for p in demo.rglob("*") if p.is_file()}
    assert {p for p in demo_files if "__pycache__" not in p} <= names


def test_installed_wheel_finds_the_built_in_themes(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
    )  # fmt: skip
    code = (
        "import json, tui_captions\n"
        "from tui_captions.tui.themes import discover_themes\n"
        "found = discover_themes()\n"
        "print(json.dumps([tui_captions.__file__, sorted(found.names()), found.problems]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "XDG_CONFIG_HOME": str(tmp_path / "config")},
        capture_output=True,
        text=True,
        check=True,
    )
    location, names, problems = json.loads(result.stdout)
    assert Path(location).is_relative_to(site)  # the installed copy, not the source tree
    assert names == BUILT_IN and problems == []
