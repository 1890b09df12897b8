"""Write the bundled demo clip (``tui_captions/demo/demo_speech.flac`` and its text) again.

    python -m tools.tiny_model.demo_clip [--out DIR]

espeak-ng speaks ``data.DEMO_SCRIPT`` in one plain voice with pauses between the
sentences; the same script and voice always give the same clip. Training writes it too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.tiny_model.data import write_demo_clip

DEMO_DIR = Path(__file__).resolve().parents[2] / "tui_captions" / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEMO_DIR, help="folder to write it in")
    write_demo_clip(parser.parse_args().out)


if __name__ == "__main__":
    main()
