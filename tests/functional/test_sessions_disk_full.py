"""A really full disk (ENOSPC on a tiny tmpfs): the journal waits, then catches up.

Needs permission to mount (root in CI); RLIMIT_FSIZE tests of the same
behaviour run everywhere (tests/unit/test_transcript_journal.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import SessionJournal, read_journal


def test_enospc_warns_once_keeps_segments_and_writes_them_when_space_returns(
    tiny_fs: Path,
) -> None:
    warnings: list[str] = []
    journal = SessionJournal.create("mic", "m", directory=tiny_fs, on_warning=warnings.append)
    filler = tiny_fs / "filler"
    with filler.open("wb", buffering=0) as f, pytest.raises(OSError, match="No space"):
        while True:  # fill the disk to the last page
            f.write(b"x" * 512)
    # The journal's last page still has room: append until it is used up.
    segments: list[Segment] = []
    while not warnings and len(segments) < 200:
        segments.append(Segment(len(segments), len(segments), len(segments) + 0.5, "word " * 10))
        journal.append(segments[-1])
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0]
    assert journal.session().segments == tuple(segments)
    on_disk = read_journal(journal.path).segments
    assert on_disk == tuple(segments[: len(on_disk)]) and len(on_disk) < len(segments)
    assert journal.path.read_text().endswith("\n")  # no broken line

    journal.append(Segment(len(segments), 999.0, 999.5, "still full"))
    assert len(warnings) == 1  # one warning, not one per segment
    filler.unlink()
    journal.append(Segment(len(segments) + 1, 1000.0, 1000.5, "space again"))
    journal.close({"chunks": 6})
    session = read_journal(journal.path)
    assert [s.id for s in session.segments] == list(range(len(segments) + 2))
    assert not session.interrupted
    assert journal.warning is None
