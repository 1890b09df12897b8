"""Captions in a browser: a small aiohttp server inside the session, on a thread of its own.

``/`` shows the live captions (final lines and each source's partial text,
labels in their colours), ``/overlay`` the last lines on a transparent page
for OBS's browser source, and ``/events`` sends the same events as ``live
--format jsonl`` as Server-Sent Events, for other programs. A newly opened
page gets the session's recent lines first; each event has an id, so a page
that reconnects after a network blip (EventSource does that by itself) gets
only what it missed, and an idle stream gets a comment every
:data:`KEEPALIVE_S` so proxies and OBS keep it open.

It never slows captioning: the front end hands each event over with
:meth:`CaptionServer.publish`, which only schedules it on the server's own
event loop; each client has a bounded queue, and one that does not keep up
loses its oldest events and is told how many; clients that vanish are
dropped, connections beyond :data:`MAX_CONNECTIONS` get 503 and ones that
send no request in :data:`REQUEST_TIMEOUT_S` are closed, so no crowd of
them takes the descriptors the journal and the capture need. Listening on
any address but 127.0.0.1 and ::1 (other loopback addresses included) needs
a token: it is made here, printed with the URL, and every request without it
gets 403; without a token, a request must name this server in its Host
header (a page of another site whose name resolves to 127.0.0.1, "DNS
rebinding", gets 403).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tui_captions.errors import UserError
from tui_captions.web.pages import caption_page, overlay_page

LOCAL_HOSTS = ("127.0.0.1", "::1")
DEFAULT_HOST = "127.0.0.1"
HISTORY_LINES = 300  # what a new page shows of the session so far
CLIENT_QUEUE = 256  # events a client may fall behind by before it loses the oldest
MAX_CONNECTIONS = 32  # at once; a page holds one, so a room full of phones fits
KEEPALIVE_S = 15.0  # an idle stream gets a comment this often (proxies close silent ones)
REQUEST_TIMEOUT_S = 10.0  # a connection without a whole request by then is closed
RETRY_MS = 1000  # how soon a page reconnects after a blip
_START_TIMEOUT_S = 10.0
_log = logging.getLogger(__name__)

Event = dict[str, Any]
Numbered = tuple[int, Event]  # an event and its place in the session's stream
_Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def parse_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` (``[::1]:8080`` for IPv6) -> host and port; :class:`UserError` if not."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or DEFAULT_HOST
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UserError(f"--serve {text}: expected [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080")
    return host, int(port)


def needs_token(host: str) -> bool:
    """Anything but the two loopback addresses people mean by "this machine only"."""
    return host not in LOCAL_HOSTS


@dataclass(eq=False)
class _Client:
    # None: the server is closing.
    queue: asyncio.Queue[Numbered | None] = field(
        default_factory=lambda: asyncio.Queue(CLIENT_QUEUE)
    )
    lost: int = 0

    def offer(self, item: Numbered | None) -> None:
        """Queue without waiting: a client that does not keep up loses its oldest event."""
        if self.queue.full():
            self.queue.get_nowait()
            self.lost += 1
        self.queue.put_nowait(item)


class _CappedServer(web.Server):
    """aiohttp's server, answering 503 to connections beyond ``limit`` and closing them."""

    def __init__(self, handler: _Handler, *, limit: int, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._limit = limit

    def connection_made(self, handler: web.RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        if len(self.connections) > self._limit:
            transport.write(_BUSY)
            # On the loop's next turn: aiohttp has yet to set the handler up (closed now, its
            # task would fail an assertion and log a traceback), and reads no request before.
            asyncio.get_running_loop().call_soon(handler.force_close)


_BUSY_TEXT = b"503: this caption server has all the readers it can\n"
_BUSY = (  # written straight to a connection aiohttp never handles
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT)
)


class CaptionServer:
    """The server of one session; :meth:`start` it, :meth:`publish` events, :meth:`stop` it."""

    def __init__(
        self,
        host: str,
        port: int,
        themes: dict[str, dict[str, str]],
        *,
        max_connections: int = MAX_CONNECTIONS,
        keepalive_s: float = KEEPALIVE_S,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.host = host
        self.port = port
        self.token = secrets.token_urlsafe(16) if needs_token(host) else None
        self._themes = themes
        self._max_connections = max_connections
        self._keepalive_s = keepalive_s
        self._request_timeout_s = request_timeout_s
        # Event ids are "<stream>-<n>": a page that reconnects to a new session's server
        # (same port, new process) is told apart from one that missed a few lines.
        self._stream = secrets.token_hex(4)
        self._numbered = 0
        self._history: deque[Numbered] = deque(maxlen=HISTORY_LINES)
        self._partials: dict[str, Numbered] = {}
        # The latest speaker event of each final line in the history (a page that missed it
        # hears it again) and the latest rename of each speaker, by source.
        self._speakers: dict[tuple[str, object, object], Numbered] = {}
        self._renames: dict[tuple[str, str], Numbered] = {}
        self._clients: set[_Client] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.ServerRunner | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, _Handler] = {
            "/": self._page,
            "/overlay": self._overlay,
            "/events": self._events,
        }

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{shown}:{self.port}/{query}"

    @property
    def clients(self) -> int:
        """Browsers following the captions now."""
        return len(self._clients)

    def start(self) -> None:
        """Listen, or raise :class:`UserError`, whatever the cause: a URL is never printed
        for a server that is not there."""
        # A client that breaks its connection is not the user's business; log lines on
        # stderr would also break the terminal app's screen.
        logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
        ready = threading.Event()
        problem: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except Exception as exc:  # a taken port, a name that cannot be an address, ...
                problem.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=serve, name="captions-web", daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_S):
            self.stop()
            problem.append(TimeoutError(f"not listening after {_START_TIMEOUT_S:.0f} s"))
        if problem:
            exc = problem[0]
            reason = getattr(exc, "strerror", None) or exc
            raise UserError(
                f"--serve {self.host}:{self.port}: cannot listen there ({reason}); "
                "choose another port, or an address of this machine"
            )
        _log.debug("caption server listening at %s", self.url)

    def publish(self, event: Event) -> None:
        """Hand an event to every client (any thread; never waits)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
                loop.call_soon_threadsafe(self._fan_out, event)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(5.0)
            _log.debug("caption server at %s stopped", self.url)

    # -- on the server's loop ---------------------------------------------------------------

    async def _open(self) -> None:
        server = _CappedServer(
            self._guard,
            limit=self._max_connections,
            access_log=None,
            keepalive_timeout=self._request_timeout_s,  # aiohttp: idle or half-sent, closed
        )
        self._runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the one chosen, when asked for 0

    async def _close(self) -> None:
        for client in list(self._clients):
            client.offer(None)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _guard(self, request: web.BaseRequest) -> web.StreamResponse:
        """Who may ask, then what: the token or this server's own name, then the route."""
        if self.token is not None:
            bearer = request.headers.get("Authorization") or ""
            given = request.query.get("token") or bearer.removeprefix("Bearer ")
            if not secrets.compare_digest(_bytes(given), self.token.encode()):
                return web.Response(status=403, text="403: this caption server needs its token\n")
        elif request.headers.get("Host", "").lower() not in self._own_names():
            return web.Response(status=403, text="403: open this page as 127.0.0.1 or localhost\n")
        route = self._routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="404: try / or /overlay or /events\n")
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, headers={"Allow": "GET, HEAD"})
        return await route(request)

    def _own_names(self) -> set[str]:
        """The Host headers a browser sends for this server when it is opened by address."""
        names = {"localhost", f"[{self.host}]" if ":" in self.host else self.host}
        with_port = {f"{name}:{self.port}" for name in names}
        return with_port | names if self.port == 80 else with_port

    def _fan_out(self, event: Event) -> None:
        self._numbered += 1
        numbered = (self._numbered, event)
        kind, source = event.get("type"), str(event.get("source", ""))
        if kind == "final":
            if len(self._history) == self._history.maxlen:
                self._speakers.pop(_line_key(self._history[0][1]), None)
            self._history.append(numbered)
            self._partials.pop(source, None)
        elif kind == "partial":
            self._partials[source] = numbered
        elif kind == "speaker":
            self._relabel_history(numbered)
        elif kind == "rename":
            self._renames[(source, str(event.get("speaker", "")))] = numbered
        for client in self._clients:
            client.offer(numbered)

    def _relabel_history(self, numbered: Numbered) -> None:
        """A page opened from now on gets the line with its speaker; one that saw the line
        but not this event gets the event."""
        key = _line_key(numbered[1])
        for index, (number, line) in enumerate(self._history):
            if _line_key(line) == key:
                self._history[index] = (number, {**line, "speaker": numbered[1].get("speaker")})
                self._speakers[key] = numbered
                return

    def _theme(self, request: web.BaseRequest) -> tuple[str, dict[str, str]]:
        name = request.query.get("theme", "")
        name = name if name in self._themes else next(iter(self._themes))
        return name, self._themes[name]

    async def _page(self, request: web.BaseRequest) -> web.Response:
        name, colours = self._theme(request)
        return web.Response(text=caption_page(name, colours), content_type="text/html")

    async def _overlay(self, request: web.BaseRequest) -> web.Response:
        name, colours = self._theme(request)
        lines = _bounded_int(request.query.get("lines"), 2, 1, 20)
        size = _bounded_int(request.query.get("size"), 48, 8, 200)
        return web.Response(text=overlay_page(name, colours, lines, size), content_type="text/html")

    async def _events(self, request: web.BaseRequest) -> web.StreamResponse:
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        if request.method == "HEAD":
            return web.Response(headers=headers)
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        client = _Client()
        seen = self._seen(request.headers.get("Last-Event-ID", ""))
        backlog = sorted(
            [
                *self._history,
                *self._partials.values(),
                *self._speakers.values(),
                *self._renames.values(),
            ],
            key=lambda item: item[0],
        )
        self._clients.add(client)
        _log.debug("browser client %s connected (%d now)", request.remote, len(self._clients))
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            for number, event in backlog:
                if number > seen:
                    await self._send(response, number, event)
            while True:
                try:
                    item = await asyncio.wait_for(client.queue.get(), self._keepalive_s)
                except asyncio.TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if client.lost:
                    await response.write(_data({"type": "dropped", "count": client.lost}))
                    client.lost = 0
                if item is None:
                    break
                await self._send(response, *item)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away
        finally:
            self._clients.discard(client)
            _log.debug("browser client %s left (%d now)", request.remote, len(self._clients))
        return response

    def _seen(self, last_event_id: str) -> int:
        """The last event a reconnecting client has (0: none of this stream's)."""
        stream, _, number = last_event_id.partition("-")
        return int(number) if stream == self._stream and number.isdecimal() else 0

    async def _send(self, response: web.StreamResponse, number: int, event: Event) -> None:
        await response.write(f"id: {self._stream}-{number}\n".encode() + _data(event))


def _data(event: Event) -> bytes:
    return f"data: {json.dumps(event)}\n\n".encode()


def _bytes(text: str) -> bytes:
    """Any text a request can carry (lone surrogates included) as bytes to compare."""
    return text.encode("utf-8", "surrogatepass")


def _line_key(event: Event) -> tuple[str, object, object]:
    """A final line's name for the speaker events about it: its source and times."""
    return (str(event.get("source", "")), event.get("start"), event.get("end"))


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(text))) if text else default
    except ValueError:
        return default
