"""The caption page in headless Chromium across a network blip, and the tests' browser itself:
it ends with its test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.browser import browser
from tui_captions.web.pages import builtin_themes
from tui_captions.web.server import CaptionServer

LINES = ["the first line", "the second line", "the third line"]
MISSED = ["said during the blip", "and one more"]


class Relay:
    """A TCP relay on loopback whose connections can be cut, as a network blip cuts them."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.accepted = 0
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self.target)
            self.accepted += 1
            self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def cut(self) -> None:
        for sock in self.open:
            with closing(sock):
                sock.shutdown(socket.SHUT_RDWR)
        self.open.clear()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass  # cut


@pytest.fixture
def server() -> Iterator[CaptionServer]:
    # 127.0.0.2 needs a token and so takes any Host: the page is opened through the relay.
    running = CaptionServer("127.0.0.2", 0, builtin_themes())
    running.start()
    yield running
    running.stop()


def test_after_a_network_blip_the_page_shows_each_line_once(server: CaptionServer) -> None:
    for text in LINES:
        server.publish({"type": "final", "text": text, "start": 0.0, "end": 1.0})
    relay = Relay((server.host, server.port))
    try:
        with browser() as page:
            page.open(f"http://127.0.0.1:{relay.port}/?token={server.token}")
            page.wait_for(lambda text: LINES[-1] in text, "the history")
            connections = relay.accepted
            relay.cut()
            for text in MISSED:
                server.publish({"type": "final", "text": text, "start": 0.0, "end": 1.0})
            shown = page.wait_for(lambda text: MISSED[-1] in text, "the lines missed")
            assert relay.accepted > connections  # the page came back by itself
            assert [shown.count(text) for text in LINES + MISSED] == [1] * 5, shown
            # An event sent again with an id the page has drawn (as a server that had not
            # kept count would) is skipped; a new session's (another stream) is drawn.
            page.evaluate(
                'for (const id of [shown.stream + "-1", "0a0b0c0d-1"]) events.dispatchEvent('
                "new MessageEvent('message', {lastEventId: id, data: JSON.stringify("
                '{type: "final", text: "sent as " + id}) }));'
            )
            shown = page.wait_for(lambda text: "sent as 0a0b0c0d-1" in text, "a new stream's line")
            assert shown.count("sent as") == 1, shown
    finally:
        relay.close()


def _command_lines() -> dict[int, tuple[int, bytes]]:
    """Each process's parent and command line (zombies have none)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue  # self, sys, ...
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except OSError:
            continue  # gone meanwhile
        found[int(entry.name)] = (parent, cmdline)
    return found


def _browser_processes(profile: str) -> set[int]:
    """The browser started with this profile and every process under it (its zygotes too)."""
    processes = _command_lines()
    found = {pid for pid, (_, cmdline) in processes.items() if profile.encode() in cmdline}
    while grown := {pid for pid, (parent, _) in processes.items() if parent in found} - found:
        found |= grown
    return found


def test_the_tests_browser_ends_with_its_test() -> None:
    with browser() as page:
        running = _browser_processes(page.profile)
        assert len(running) > 1, "the browser and its helpers are not found while it runs"
    deadline = time.monotonic() + 10
    while left := [p for p in running if b"chromium" in _command_lines().get(p, (0, b""))[1]]:
        assert time.monotonic() < deadline, f"browser processes left running: {left}"
        time.sleep(0.1)
