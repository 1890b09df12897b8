"""Captions in a browser never slow captioning: `live --serve` latency with and without clients.

    python -m bench.web [--seconds 60] [--rounds 2] [--clients 20]

`live --input` captions espeak-ng speech in real time with the bundled tiny
model (partial events on, so the server has the most to send), serving on a
loopback port; runs alternate between no clients and ``--clients`` clients:
half read ``/events`` all along, a quarter vanish after two seconds without
closing (a phone losing its network), a quarter stay connected and never read
again (a stalled tab). Printed: per-chunk latency p50/p95 (capture of a
chunk's last sample to its recognised text, as the latency pane shows it),
dropped chunks and the events the readers received.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

from bench.latency import SPEECH
from tools.tiny_model.train import FIXTURE_DIR
from tui_captions.audio.decode import decode_audio

RATE = 16_000


def talk(folder: Path, seconds: float) -> Path:
    """Speech with pauses, repeated to ``seconds``."""
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True)
    speech = np.concatenate(list(decode_audio(str(wav), RATE)))
    turn = np.concatenate([speech, np.zeros(RATE, dtype=np.float32)])
    audio = np.tile(turn, int(np.ceil(seconds * RATE / turn.size)))[: int(seconds * RATE)]
    path = folder / "talk.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


class Reader(threading.Thread):
    """One ``/events`` client reading until the server closes (counts events)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=120)
        self.sock.sendall(f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        self.events = 0

    def run(self) -> None:
        with self.sock:
            while chunk := self.sock.recv(65536):
                self.events += chunk.count(b"data: ")


def one_run(audio: Path, clients: int) -> dict[str, float]:
    command = [
        sys.executable, "-m", "tui_captions.cli", "live", "--input", str(audio),
        "--model", str(FIXTURE_DIR), "--format", "jsonl", "--partials",
        "--stats-every", "5", "--serve", "127.0.0.1:0",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = ""
    while not (found := re.search(r"captions at http://([\d.]+):(\d+)", seen)):
        line = process.stderr.readline()
        if not line:
            raise SystemExit(f"live ended before serving: {seen}")
        seen += line
    host, port = found[1], int(found[2])
    readers = [Reader(host, port) for _ in range(clients // 2)]
    for reader in readers:
        reader.start()
    others = []
    for _ in range(clients - len(readers)):
        sock = socket.create_connection((host, port), timeout=5)
        sock.sendall(f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        others.append(sock)
    time.sleep(2.0)
    for sock in others[: len(others) // 2]:  # reset without a goodbye
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    out, err = process.communicate(timeout=600)
    for sock in others[len(others) // 2 :]:
        sock.close()
    for reader in readers:
        reader.join(timeout=10)
    if process.returncode != 0:
        raise SystemExit(f"live failed ({process.returncode}): {err}")
    stats = [e for e in map(json.loads, out.splitlines()) if e["type"] == "stats"]
    return {
        "p50": statistics.median(s["latency_ms_p50"] for s in stats if s["latency_ms_p50"]),
        "p95": max(s["latency_ms_p95"] for s in stats if s["latency_ms_p95"]),
        "dropped": stats[-1]["dropped"],
        "events_read": min((r.events for r in readers), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        audio = talk(Path(folder), args.seconds)
        results: dict[int, list[dict[str, float]]] = {0: [], args.clients: []}
        for _ in range(args.rounds):
            for clients in results:
                results[clients].append(one_run(audio, clients))
    print(f"{args.seconds:.0f} s of speech, live --serve, tiny model, {args.rounds} rounds each")
    heads = ("clients", "latency p50", "worst p95", "dropped", "events read")
    print(" ".join(f"{h:>12}" for h in heads))
    for clients, runs in results.items():
        p50 = statistics.median(r["p50"] for r in runs)
        p95 = max(r["p95"] for r in runs)
        dropped = sum(r["dropped"] for r in runs)
        read = min(r["events_read"] for r in runs) if clients else 0
        print(f"{clients:>12} {p50:>9.1f} ms {p95:>9.1f} ms {dropped:>12.0f} {read:>12.0f}")
    base, loaded = (results[c] for c in results)
    ratio = statistics.median(r["p50"] for r in loaded) / statistics.median(r["p50"] for r in base)
    print(f"p50 with clients / without: x{ratio:.2f}")


if __name__ == "__main__":
    main()
