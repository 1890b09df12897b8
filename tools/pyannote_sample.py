"""Fetch the real two-person sample that ships in pyannote.audio's wheel, and nothing else.

    python tools/pyannote_sample.py [DEST]     (default: .work/pyannote-sample)

pyannote.audio itself would bring about 64 packages the project does not lock
(lightning, optuna, opentelemetry, matplotlib, torchcodec, ...), so the set-up
downloads its one wheel with pip, pinned by version and sha256, and extracts the
two files the tests read: ``sample.wav`` (30 s, a telephone conversation, MIT) and
``sample.rttm`` (its reference turns). Idempotent: does nothing when they are there.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "pyannote.audio==4.0.7"
SHA256 = "852ea15c4d85bc34773e618267603ffca6a521669a74d33742692cc67fc700d6"
MEMBERS = ("pyannote/audio/sample/sample.wav", "pyannote/audio/sample/sample.rttm")
DEFAULT_DEST = Path(__file__).resolve().parents[1] / ".work" / "pyannote-sample"


def fetch(dest: Path = DEFAULT_DEST) -> Path:
    """The folder holding ``sample.wav`` and ``sample.rttm``, downloaded if missing."""
    if all((dest / Path(member).name).is_file() for member in MEMBERS):
        return dest
    with tempfile.TemporaryDirectory() as work:
        requirement = Path(work) / "sample.txt"
        requirement.write_text(f"{WHEEL} --hash=sha256:{SHA256}\n")
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes"),
                *("--only-binary=:all:", "-d", work, "-r", str(requirement)),
            ],
            check=True,
        )
        (wheel,) = Path(work).glob("pyannote_audio-*.whl")
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for member in MEMBERS:
                (dest / Path(member).name).write_bytes(archive.read(member))
    return dest


if __name__ == "__main__":
    print(fetch(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEST))
