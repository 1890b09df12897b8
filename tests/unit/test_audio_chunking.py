"""Chunking, capture times, levels and device lookup: the worker's pure logic."""

from __future__ import annotations

import numpy as np
import pytest

from tui_captions.audio.chunking import SILENCE_DBFS, Chunker, Regrouper, dbfs, levels
from tui_captions.audio.devices import CaptureDevice, find_device
from tui_captions.errors import AudioSourceError

RATE = 16000
SIZE = 2560


def test_regrouper_cuts_exact_pieces_and_pads_the_tail() -> None:
    regroup = Regrouper(4)
    pieces = regroup.push(np.arange(3, dtype=np.float32)) + regroup.push(
        np.arange(3, 9, dtype=np.float32)
    )
    assert [p.tolist() for p in pieces] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert regroup.pending == 1
    tail = regroup.flush()
    assert tail is not None and tail.tolist() == [8, 0, 0, 0]
    assert regroup.flush() is None


def test_chunks_are_exact_consecutive_and_timed_from_the_newest_block() -> None:
    chunker = Chunker(SIZE, RATE)
    signal = np.random.default_rng(0).uniform(-0.5, 0.5, 3 * SIZE + 100).astype(np.float32)
    chunks = []
    t = 100.0
    for start in range(0, signal.size, 1000):  # blocks that straddle chunk edges
        block = signal[start : start + 1000]
        t = 100.0 + (start + block.size - 1) / RATE
        chunks += chunker.push(block, t)
    assert [c.seq for c in chunks] == [0, 1, 2]
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), signal[: 3 * SIZE])
    for chunk in chunks:
        assert chunk.samples.shape == (SIZE,)
        expected_last = 100.0 + ((chunk.seq + 1) * SIZE - 1) / RATE
        assert chunk.t_last == pytest.approx(expected_last, abs=1e-9)
        assert chunk.t_last - chunk.t_first == pytest.approx((SIZE - 1) / RATE)
    tail = chunker.flush()
    assert tail is not None and tail.seq == 3
    assert np.array_equal(tail.samples[:100], signal[3 * SIZE :])
    assert tail.t_last == pytest.approx(100.0 + (4 * SIZE - 1) / RATE)


def test_overflow_marks_the_next_chunk_only() -> None:
    chunker = Chunker(SIZE, RATE)
    quiet = np.zeros(SIZE, dtype=np.float32)
    first = chunker.push(quiet, 1.0, overflow=True)
    second = chunker.push(quiet, 2.0)
    assert [c.overflow for c in first + second] == [True, False]


def test_levels_in_dbfs() -> None:
    assert dbfs(1.0) == 0.0
    assert dbfs(0.5) == pytest.approx(-6.0206, abs=1e-3)
    assert dbfs(0.0) == SILENCE_DBFS
    sine = np.sin(np.arange(RATE) * 2 * np.pi * 440 / RATE).astype(np.float32)
    rms, peak = levels(0.5 * sine)
    assert peak == pytest.approx(-6.02, abs=0.01)
    assert rms == pytest.approx(-9.03, abs=0.01)  # a sine's RMS is 3.01 dB under its peak
    assert levels(np.zeros(10, dtype=np.float32)) == (SILENCE_DBFS, SILENCE_DBFS)


DEVICES = [
    CaptureDevice(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", "ALSA", 2, 44100.0, False),
    CaptureDevice(1, "USB Microphone: Audio (hw:1,0)", "ALSA", 1, 48000.0, False),
    CaptureDevice(2, "pulse", "ALSA", 32, 44100.0, True),
    CaptureDevice(
        None, "Monitor of Built-in Audio", "PulseAudio", 2, 48000.0, False,
        pulse_source="alsa_output.pci.analog-stereo.monitor", monitor=True,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1", 1),
        ("pulse", 2),  # an exact name wins even where it is part of other names
        ("usb mic", 1),
        ("MONITOR", 3),
        ("alsa_output.pci.analog-stereo.monitor", 3),
    ],
)
def test_find_device_by_index_exact_name_or_unique_substring(query: str, expected: int) -> None:
    assert find_device(query, DEVICES) is DEVICES[expected]


def test_unknown_and_ambiguous_devices_list_the_candidates() -> None:
    with pytest.raises(AudioSourceError, match=r"no capture device matches 'webcam'.*'pulse'"):
        find_device("webcam", DEVICES)
    with pytest.raises(AudioSourceError, match=r"'audio' matches 2 capture devices.*1: 'USB"):
        find_device("audio", DEVICES)
    with pytest.raises(AudioSourceError, match="no capture device with index 7"):
        find_device("7", DEVICES)


def test_pulse_sources_open_through_portaudios_pulse_device() -> None:
    source = DEVICES[3].source()
    assert source.portaudio_device == "pulse"
    assert source.pulse_source == "alsa_output.pci.analog-stereo.monitor"
    assert DEVICES[1].source().portaudio_device == 1
