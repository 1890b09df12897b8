"""``--record``'s FLAC: decodable by the same FFmpeg path ``transcribe`` reads files with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from tui_captions.audio.decode import decode_audio
from tui_captions.pipeline.recording import Recorder

RATE = 16_000
CHUNK = 2560


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_round_trip_is_16_bit_exact(tmp_path: Path) -> None:
    audio = tone(2.0)
    audio[:100] = 1.5  # out of range: clipped, not wrapped
    recorder = Recorder(tmp_path / "s.flac", RATE)
    for start in range(0, audio.size, CHUNK):
        recorder.write(audio[start : start + CHUNK])
    recorder.close()
    assert recorder.warning is None
    decoded = np.concatenate(list(decode_audio(str(tmp_path / "s.flac"), RATE)))
    assert decoded.size == audio.size
    assert np.abs(decoded - np.clip(audio, -1, 1)).max() < 1 / 32767


def test_killed_recording_keeps_what_was_written(tmp_path: Path) -> None:
    """Packets are flushed as written: after kill -9 all but the last encoder frame remain."""
    path = tmp_path / "killed.flac"
    script = textwrap.dedent(
        f"""
        import sys, numpy as np
        from pathlib import Path
        from tui_captions.pipeline.recording import Recorder
        r = Recorder(Path({str(path)!r}), {RATE})
        for _ in range(25):
            r.write(np.full({CHUNK}, 0.25, dtype=np.float32))
        print("written", flush=True)
        sys.stdin.read()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "written\n"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    decoded = np.concatenate(list(decode_audio(str(path), RATE)))
    written = 25 * CHUNK
    assert written - 4608 <= decoded.size <= written  # 4608: the FLAC encoder's frame
    assert np.allclose(decoded, 0.25, atol=1e-4)


def test_unwritable_path_warns_once_and_recording_stops(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    warnings: list[str] = []
    recorder = Recorder(blocker / "s.flac", RATE, on_warning=warnings.append)
    recorder.write(tone(0.16))
    recorder.close()
    assert len(warnings) == 1
    assert str(blocker / "s.flac") in warnings[0]
    assert recorder.warning is not None


def test_full_disk_warns_once_and_recording_stops(tmp_path: Path) -> None:
    """RLIMIT_FSIZE stands in for a full disk (it blocks root too)."""
    limit = 20_000
    path = tmp_path / "full.flac"
    script = textwrap.dedent(
        f"""
        import resource, numpy as np
        from pathlib import Path
        from tui_captions.pipeline.recording import Recorder
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))
        r = Recorder(Path({str(path)!r}), {RATE}, on_warning=lambda m: print("WARN", m))
        rng = np.random.default_rng(0)
        for _ in range(100):
            r.write(rng.uniform(-0.5, 0.5, {CHUNK}).astype(np.float32))
        r.close()
        print("done", r.warning is not None)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["WARN", "done"]
    assert lines[-1] == "done True"
    assert path.stat().st_size <= limit


def test_dropped_chunks_become_silence_so_times_match_the_journal(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "gaps.flac", RATE)
    chunk = np.full(CHUNK, 0.5, dtype=np.float32)
    for index in (0, 1, 4):  # capture dropped chunks 2 and 3
        recorder.write(chunk, index)
    recorder.close()
    decoded = np.concatenate(list(decode_audio(str(tmp_path / "gaps.flac"), RATE)))
    assert decoded.size == 5 * CHUNK
    assert np.allclose(decoded[: 2 * CHUNK], 0.5, atol=1e-4)
    assert np.all(decoded[2 * CHUNK : 4 * CHUNK] == 0)
    assert np.allclose(decoded[4 * CHUNK :], 0.5, atol=1e-4)
