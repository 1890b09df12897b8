"""Captions in a browser: a small aiohttp server inside the session, on a thread of its own.

``/`` shows the live captions (final lines and each source's partial text,
labels in their colours), ``/overlay`` the last lines on a transparent page
for OBS's browser source, and ``/events`` sends the same events as ``live
--format jsonl`` as Server-Sent Events, for other programs. A newly opened
page gets the session's recent lines first.

It never slows captioning: the front end hands each event over with
:meth:`CaptionServer.publish`, which only schedules it on the server's own
event loop; each client has a bounded queue, and one that does not keep up
loses its oldest events and is told how many; clients that vanish are
dropped. Listening on any address but 127.0.0.1 and ::1 (other loopback
addresses included) needs a token: it is made here, printed with the URL,
and every request without it gets 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tui_captions.errors import UserError
from tui_captions.web.pages import caption_page, overlay_page

LOCAL_HOSTS = ("127.0.0.1", "::1")
DEFAULT_HOST = "127.0.0.1"
HISTORY_LINES = 300  # what a new page shows of the session so far
CLIENT_QUEUE = 256  # events a client may fall behind by before it loses the oldest
_START_TIMEOUT_S = 10.0
_log = logging.getLogger(__name__)

Event = dict[str, Any]


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
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE))
    lost: int = 0


class CaptionServer:
    """The server of one session; :meth:`start` it, :meth:`publish` events, :meth:`stop` it."""

    def __init__(self, host: str, port: int, themes: dict[str, dict[str, str]]) -> None:
        self.host = host
        self.port = port
        self.token = secrets.token_urlsafe(16) if needs_token(host) else None
        self._themes = themes
        self._history: deque[Event] = deque(maxlen=HISTORY_LINES)
        self._partials: dict[str, Event] = {}
        self._clients: set[_Client] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{shown}:{self.port}/{query}"

    @property
    def clients(self) -> int:
        return len(self._clients)

    def start(self) -> None:
        """Listen, or raise :class:`UserError` (the port is taken, the address is not ours)."""
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
            except OSError as exc:
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
        ready.wait(_START_TIMEOUT_S)
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
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/", self._page)
        app.router.add_get("/overlay", self._overlay)
        app.router.add_get("/events", self._events)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=0.5)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the one chosen, when asked for 0

    async def _close(self) -> None:
        for client in list(self._clients):
            client.queue.put_nowait({"type": "end"})
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.token is not None:
            bearer = request.headers.get("Authorization") or ""
            given = request.query.get("token") or bearer.removeprefix("Bearer ")
            if not secrets.compare_digest(given, self.token):
                return web.Response(status=403, text="403: this caption server needs its token\n")
        response: web.StreamResponse = await handler(request)
        return response

    def _fan_out(self, event: Event) -> None:
        if event.get("type") == "final":
            self._history.append(event)
            self._partials.pop(str(event.get("source", "")), None)
        elif event.get("type") == "partial":
            self._partials[str(event.get("source", ""))] = event
        for client in self._clients:
            if client.queue.full():
                client.queue.get_nowait()  # a slow reader loses the oldest
                client.lost += 1
            client.queue.put_nowait(event)

    def _theme(self, request: web.Request) -> tuple[str, dict[str, str]]:
        name = request.query.get("theme", "")
        name = name if name in self._themes else next(iter(self._themes))
        return name, self._themes[name]

    async def _page(self, request: web.Request) -> web.Response:
        name, colours = self._theme(request)
        return web.Response(text=caption_page(name, colours), content_type="text/html")

    async def _overlay(self, request: web.Request) -> web.Response:
        name, colours = self._theme(request)
        lines = _bounded_int(request.query.get("lines"), 2, 1, 20)
        size = _bounded_int(request.query.get("size"), 48, 8, 200)
        return web.Response(text=overlay_page(name, colours, lines, size), content_type="text/html")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        client = _Client()
        backlog = [*self._history, *self._partials.values()]
        self._clients.add(client)
        _log.debug("browser client %s connected (%d now)", request.remote, len(self._clients))
        try:
            for event in backlog:
                await _send(response, event)
            while True:
                event = await client.queue.get()
                if client.lost:
                    await _send(response, {"type": "dropped", "count": client.lost})
                    client.lost = 0
                if event.get("type") == "end":
                    break
                await _send(response, event)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away
        finally:
            self._clients.discard(client)
            _log.debug("browser client %s left (%d now)", request.remote, len(self._clients))
        return response


async def _send(response: web.StreamResponse, event: Event) -> None:
    await response.write(f"data: {json.dumps(event)}\n\n".encode())


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(text))) if text else default
    except ValueError:
        return default
