"""A loopback HTTP server standing in for the publishers' hosts: downloads are tested against
it, never against the network."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path


class LoopbackServer(http.server.ThreadingHTTPServer):
    """Serves one folder on 127.0.0.1 and notes each request: (path, its Range header)."""

    requests: list[tuple[str, str | None]]

    @property
    def url(self) -> str:
        """The base URL its folder is served at, with a trailing slash."""
        return f"http://127.0.0.1:{self.server_address[1]}/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Logs nothing, notes each request on its server, then :meth:`answer`\\ s it."""

    server: LoopbackServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Range")))
        self.answer()

    def answer(self) -> None:
        """The file asked for (a test's handler may answer otherwise)."""
        super().do_GET()


@contextmanager
def serving(folder: Path, handler: type[QuietHandler] = QuietHandler) -> Iterator[LoopbackServer]:
    """``folder`` served until the block ends."""
    httpd = LoopbackServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    httpd.requests = []
    threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
