"""The caption server on real loopback sockets, in this process: event ids and reconnects,
keep-alives, timeouts, the connection cap, tokens, Host names, HEAD, closing, failing to start."""

from __future__ import annotations

import json
import logging
import selectors
import socket
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_captions.config import load_settings
from tui_captions.errors import UserError
from tui_captions.web.pages import builtin_themes
from tui_captions.web.publish import start_server
from tui_captions.web.server import CaptionServer

THEMES = builtin_themes()
WAIT_S = 10.0  # the longest any answer may take here


@contextmanager
def serving(host: str = "127.0.0.1", **options: Any) -> Iterator[CaptionServer]:
    server = CaptionServer(host, 0, THEMES, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def connect(server: CaptionServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=WAIT_S)


def request(
    server: CaptionServer, target: str, *headers: str, method: str = "GET", version: str = "1.1"
) -> bytes:
    """The request line and headers (a Host naming the server unless given), as bytes."""
    if not any(h.lower().startswith("host:") for h in headers):
        headers = (f"Host: {server.host}:{server.port}", *headers)
    lines = [f"{method} {target} HTTP/{version}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def answer(server: CaptionServer, raw: bytes) -> bytes:
    """Send one request on a new connection that asks to be closed; all the server says."""
    with connect(server) as sock:
        sock.sendall(raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def final(text: str) -> dict[str, object]:
    return {"type": "final", "text": text, "start": 0.0, "end": 1.0}


class Stream:
    """An ``/events`` reader on a raw socket: its events with their ids, and its comments."""

    def __init__(self, server: CaptionServer, *headers: str, small_buffer: bool = False) -> None:
        self.sock = socket.socket()
        if small_buffer:  # so that a reader who stops reading holds up the server soon
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(WAIT_S)
        self.sock.connect((server.host, server.port))
        # HTTP/1.0: the body as sent, not in chunks.
        self.sock.sendall(request(server, "/events", *headers, version="1.0"))
        self.head: bytes | None = None
        self.pending = b""
        self.blocks: list[dict[str, str]] = []  # each SSE block's fields (a comment's under "")

    def read(self, enough: Any, what: str) -> list[dict[str, str]]:
        """Blocks (bounded) until ``enough(blocks)`` holds for the blocks received so far."""
        deadline = time.monotonic() + WAIT_S
        while not enough(self.blocks):
            assert time.monotonic() < deadline, f"no {what}: {self.pending[-300:]!r}"
            chunk = self.sock.recv(1 << 20)
            assert chunk, f"the stream ended before {what}: {self.pending[-300:]!r}"
            self.pending += chunk
            if self.head is None and b"\r\n\r\n" in self.pending:
                self.head, _, self.pending = self.pending.partition(b"\r\n\r\n")
            if self.head is not None:
                *whole, self.pending = self.pending.split(b"\n\n")
                for block in whole:
                    fields = (line.partition(":") for line in block.decode().splitlines())
                    self.blocks.append({name: value.strip() for name, _, value in fields})
        return self.blocks

    def texts(self, enough: int) -> list[str]:
        """The texts of the first ``enough`` caption events."""
        return _texts(self.read(lambda b: len(_texts(b)) >= enough, f"{enough} lines"))

    def close(self) -> None:
        self.sock.close()


def _texts(blocks: list[dict[str, str]]) -> list[str]:
    return [json.loads(b["data"])["text"] for b in blocks if "data" in b and '"text"' in b["data"]]


def test_a_client_that_reconnects_gets_only_what_it_missed() -> None:
    with serving() as server:
        for n in range(3):
            server.publish(final(f"line {n}"))
        first = Stream(server)
        assert first.texts(3) == ["line 0", "line 1", "line 2"]  # a new page: the history once
        last_id = [b["id"] for b in first.blocks if "id" in b][-1]
        first.close()  # the network blips; the page's EventSource comes back by itself
        server.publish(final("line 3"))
        server.publish({"type": "partial", "text": "line 4 so", "start": 0.0, "end": 1.0})
        back = Stream(server, f"Last-Event-ID: {last_id}")
        assert back.texts(2) == ["line 3", "line 4 so"]
        ids = [b["id"] for b in back.blocks if "id" in b]
        assert len(set(ids)) == 2 and last_id not in ids
        back.close()
        # A page that was reading another session's server on this port gets this one's.
        stranger = Stream(server, "Last-Event-ID: 0a0b0c0d-2")
        assert stranger.texts(5) == [*(f"line {n}" for n in range(4)), "line 4 so"]
        stranger.close()


def _events(blocks: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [json.loads(b["data"]) for b in blocks if "data" in b]


def test_a_page_opened_or_back_after_speaker_events_gets_the_speakers_as_they_are() -> None:
    line = {**final("hello"), "source": "Them"}
    other = {**final("other source"), "source": "Me"}
    relabel = {
        "type": "speaker",
        "start": 0.0,
        "end": 1.0,
        "speaker": "Speaker 2",
        "source": "Them",
    }
    rename = {"type": "rename", "speaker": "Speaker 2", "name": "Ada", "source": "Them"}
    with serving() as server:
        server.publish(line)
        server.publish(other)
        first = Stream(server)
        first.texts(2)
        last_id = [b["id"] for b in first.blocks if "id" in b][-1]
        first.close()
        server.publish({**relabel, "speaker": "Speaker 1"})
        server.publish(relabel)  # the clusterer changed its mind
        server.publish(rename)
        back = Stream(server, f"Last-Event-ID: {last_id}")
        assert _events(back.read(lambda b: len(_events(b)) >= 2, "2 events")) == [relabel, rename]
        back.close()
        fresh = Stream(server)
        events = _events(fresh.read(lambda b: len(_events(b)) >= 4, "4 events"))
        fresh.close()
    assert events == [{**line, "speaker": "Speaker 2"}, other, relabel, rename]


def test_an_idle_stream_gets_keep_alives_and_outlives_the_request_timeout() -> None:
    with serving(keepalive_s=0.1, request_timeout_s=0.3) as server:
        stream = Stream(server)
        stream.read(lambda blocks: len(blocks) >= 1 + 6, "six keep-alive comments")  # 0.6 s
        comments = [b for b in stream.blocks if "" in b]
        assert len(comments) >= 6 and not _texts(stream.blocks)
        server.publish(final("still here"))
        assert stream.texts(1) == ["still here"]
        stream.close()


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: 127.0"], ids=["idle", "half"])
def test_idle_and_half_sent_connections_are_closed(sent: bytes) -> None:
    with serving(request_timeout_s=0.3) as server, connect(server) as sock:
        sock.sendall(sent)
        assert sock.recv(65536) == b""  # closed well before the socket's timeout


@pytest.mark.parametrize("path", ["/", "/overlay", "/events"])
def test_head_is_answered_without_a_body(path: str) -> None:
    with serving() as server:
        server.publish(final("a line the stream would send"))
        reply = answer(server, request(server, path, method="HEAD"))
        body = reply.partition(b"\r\n\r\n")[2]
        assert status(reply) == 200 and body == b"", reply


def test_other_paths_and_methods_are_refused() -> None:
    with serving() as server:
        assert status(answer(server, request(server, "/nothing"))) == 404
        assert status(answer(server, request(server, "/events", method="POST"))) == 405


def test_without_a_token_a_request_must_name_this_server() -> None:
    with serving() as server:
        port = server.port
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}"):
            assert status(answer(server, request(server, "/", f"Host: {host}"))) == 200
        # DNS rebinding: another site's name that resolves to 127.0.0.1, a port forwarded
        # from elsewhere, no name at all.
        for host in (f"attacker.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1", ""):
            for path in ("/", "/events"):
                reply = answer(server, request(server, path, f"Host: {host}"))
                assert status(reply) == 403, (host, reply)
        assert status(answer(server, b"GET / HTTP/1.0\r\n\r\n")) == 403


@pytest.fixture(scope="module")
def guarded() -> Iterator[CaptionServer]:
    with serving("127.0.0.2") as server:  # loopback, but not 127.0.0.1: a token is needed
        yield server


def test_another_address_needs_the_token_its_url_carries(guarded: CaptionServer) -> None:
    assert guarded.token is not None and guarded.url.endswith(f"/?token={guarded.token}")
    for path in ("/", "/overlay", "/events"):
        assert status(answer(guarded, request(guarded, path))) == 403
    page = "/" + guarded.url.rpartition("/")[2]  # any Host: the token is what counts
    assert status(answer(guarded, request(guarded, page, "Host: anything"))) == 200
    bearer = request(guarded, "/overlay", f"Authorization: Bearer {guarded.token}")
    assert b"new EventSource" in answer(guarded, bearer)


@given(token=st.binary(max_size=40))
def test_a_wrong_token_of_any_bytes_gets_403(guarded: CaptionServer, token: bytes) -> None:
    query = request(guarded, "/?token=" + urllib.parse.quote_from_bytes(token))
    assert status(answer(guarded, query)) == 403
    # In a header, any bytes HTTP allows there (no controls but tab).
    allowed = bytes(b for b in token if (b >= 0x20 and b != 0x7F) or b == 0x09)
    header = request(guarded, "/").replace(b"\r\n\r\n", b"\r\nAuthorization: Bearer x")
    assert status(answer(guarded, header + allowed + b"\r\n\r\n")) == 403


def _outrun(server: CaptionServer) -> tuple[Stream, Stream]:
    """A client that has stopped reading, and one that reads all of far more than the socket
    buffers and the stalled client's queue hold (401 lines)."""
    stalled = Stream(server, small_buffer=True)
    server.publish(final("first"))
    reader = Stream(server)
    assert reader.texts(1) == ["first"]
    assert stalled.texts(1) == ["first"]  # and reads no more for now
    big = "x" * 32_000
    for n in range(400):
        server.publish(final(f"{n} {big}"))
    reader.read(lambda blocks: '"399 x' in blocks[-1].get("data", ""), "the last line")
    return stalled, reader


def test_a_client_that_falls_behind_is_told_how_many_lines_it_lost() -> None:
    with serving() as server:
        stalled, reader = _outrun(server)
        blocks = stalled.read(lambda b: '"399 x' in b[-1].get("data", ""), "the last line")
        lost = [json.loads(b["data"])["count"] for b in blocks if '"dropped"' in b.get("data", "")]
        assert lost and sum(lost) + len(_texts(blocks)) == 401
        stalled.close()
        reader.close()


def test_closing_with_a_stalled_client_still_cleans_up() -> None:
    server = CaptionServer("127.0.0.1", 0, THEMES)
    server.start()
    stalled, reader = _outrun(server)
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=WAIT_S).close()
    stalled.close()
    reader.close()


def test_a_flood_of_connections_is_capped_and_the_server_serves_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cap, flood = 8, 300
    with serving(max_connections=cap, request_timeout_s=2.0) as server:
        reader = Stream(server)
        reader.read(lambda blocks: len(blocks) >= 1, "the stream's start")
        before = _open_descriptors()
        held = [connect(server) for _ in range(flood)]  # opened and held, saying nothing
        refused = _answers(held, flood - (cap - 1))
        assert all(reply.startswith(b"HTTP/1.1 503 ") for reply in refused.values())
        # This process holds the flood's client ends; the server, no more than its cap.
        assert _open_descriptors() - before - flood <= cap
        server.publish(final("captioning goes on"))
        assert reader.texts(1) == ["captioning goes on"]  # the reader connected first reads on
        # The ones that got in (no 503) are closed by the request timeout; pages load again.
        let_in = [sock for sock in held if sock not in refused]
        assert set(_answers(let_in, len(let_in)).values()) == {b""}
        assert status(answer(server, request(server, "/"))) == 200
        for sock in held:
            sock.close()
        reader.close()
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _open_descriptors() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def _answers(socks: list[socket.socket], count: int) -> dict[socket.socket, bytes]:
    """What the first ``count`` sockets that the server answered (or closed) received."""
    replies: dict[socket.socket, bytes] = {}
    with selectors.DefaultSelector() as waiting:
        for sock in socks:
            waiting.register(sock, selectors.EVENT_READ, sock)
        deadline = time.monotonic() + WAIT_S
        while len(replies) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"{len(replies)} of {count} answered"
            for key, _ in waiting.select(left):
                replies[key.data] = _read_to_end(key.data)
                waiting.unregister(key.data)
    return replies


def _read_to_end(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass  # closed with our request unread: what came before it still counts
    return received


def test_a_server_that_cannot_start_says_why_in_one_line() -> None:
    host = "a" * 64  # too long for a name: not an OSError, and it used to kill the thread
    server = CaptionServer(host, 0, THEMES)
    with pytest.raises(UserError) as failed:
        server.start()
    assert "\n" not in str(failed.value) and f"--serve {host}:0: cannot listen" in str(failed.value)


def test_a_port_taken_says_so() -> None:
    with serving() as taken, pytest.raises(UserError, match="cannot listen there"):
        CaptionServer("127.0.0.1", taken.port, THEMES).start()


def test_the_settings_cap_the_browsers_served_at_once(tmp_path: Path) -> None:
    """Issue 36: the cap on concurrent clients is a setting (``web_clients``)."""
    path = tmp_path / "settings.toml"
    path.write_text("web_clients = 1\n")
    settings, problems = load_settings(path)
    assert problems == () and settings.web_clients == 1
    server = start_server("127.0.0.1:0", settings.web_clients)
    assert server is not None
    try:
        first = connect(server)
        first.sendall(request(server, "/events"))
        assert first.recv(64).startswith(b"HTTP/1.1 200 ")
        with connect(server) as second:  # one more: refused at once, before its request
            assert second.recv(64).startswith(b"HTTP/1.1 503 ")
        first.close()
    finally:
        server.stop()
