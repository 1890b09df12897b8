"""The publishing side of the web page: the caption server a front end starts, and the
session sink that hands it each final line and partial (the app and ``live`` alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tui_captions.core.sinks import Partial, SessionSink
from tui_captions.transcript.formats import final_event, partial_event, speaker_event

if TYPE_CHECKING:
    from tui_captions.core.segments import Segment
    from tui_captions.web.server import CaptionServer


def start_server(serve: str | None, clients: int | None = None) -> CaptionServer | None:
    """The caption server ``--serve`` asks for, serving at most ``clients`` browsers at once
    (the settings' ``web_clients``; None: the server's default), listening; a
    :class:`UserError` in one line if it cannot (aiohttp is imported only then, so
    start-up stays fast without it)."""
    if serve is None:
        return None
    from tui_captions.web.pages import builtin_themes
    from tui_captions.web.server import MAX_CONNECTIONS, CaptionServer, parse_address

    host, port = parse_address(serve)
    server = CaptionServer(host, port, builtin_themes(), max_connections=clients or MAX_CONNECTIONS)
    server.start()
    return server


class Publisher(Protocol):
    """What the sink needs of a caption server."""

    def publish(self, event: dict[str, Any]) -> None: ...


class WebSink(SessionSink):
    """Publishes the session's final lines, their speakers and partials to the page; ``raw``: the
    recogniser's words, as the front end prints them."""

    def __init__(self, server: Publisher, raw: bool = False) -> None:
        self.server = server
        self._raw = raw

    def final(self, segment: Segment) -> None:
        self.server.publish(final_event(segment, self._raw))

    def speaker(self, segment: Segment) -> None:
        self.server.publish(speaker_event(segment))

    def renamed(self, channel: str, speaker: str, name: str) -> None:
        event = {"type": "rename", "speaker": speaker, "name": name}
        self.server.publish(event | ({"source": channel} if channel else {}))

    def partial(self, partial: Partial) -> None:
        self.server.publish(partial_event(partial.channel, partial.seq, partial.shown(self._raw)))
