"""A real browser for the tests: headless Chromium (Debian's chromium-headless-shell), driven
through the DevTools protocol over its WebSocket (aiohttp's client), no other tools.

Debian's ``chromium-headless-shell`` is a shell script that runs the browser without
``exec``: killing the script leaves Chromium running. So the browser gets a process
group of its own, and the whole group is killed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

import aiohttp
import pytest

BROWSER = "chromium-headless-shell"
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class Page:
    """One tab: open a URL, read its text as the reader sees it."""

    def __init__(self, endpoint: str, profile: str) -> None:
        self._endpoint = endpoint
        self.profile = profile  # its --user-data-dir: in every one of its processes' command lines
        self._ids = count(1)

    async def _call(self, method: str, **params: Any) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            targets = await (await http.get(f"{self._endpoint}/json/list")).json()
            page = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                ident = next(self._ids)
                await ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
                async for message in ws:
                    reply = json.loads(message.data)
                    if reply.get("id") == ident:
                        return dict(reply.get("result", {}))
        raise AssertionError(f"no answer to {method}")

    def open(self, url: str) -> None:
        asyncio.run(self._call("Page.navigate", url=url))

    def evaluate(self, expression: str) -> Any:
        result = asyncio.run(self._call("Runtime.evaluate", expression=expression))
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def wait_for(self, condition: Any, what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never showed {what}; it says: {text!r}")
            time.sleep(0.2)


@contextmanager
def browser() -> Iterator[Page]:
    """Headless Chromium on a blank page; closed afterwards, whatever happens."""
    if shutil.which(BROWSER) is None:
        pytest.fail(f"{BROWSER} is not installed (apt-get install {BROWSER})")
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [BROWSER, "--no-sandbox", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "about:blank"],
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            assert process.stderr is not None
            deadline = time.monotonic() + 30
            endpoint = None
            while endpoint is None and time.monotonic() < deadline:
                line = process.stderr.readline()
                if found := _LISTENING.search(line):
                    endpoint = "http://" + found[1].split("/")[2]
            assert endpoint is not None, "Chromium did not start its DevTools server"
            # Keep reading its log, or a full pipe would stall it.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            yield Page(endpoint, profile)
        finally:
            with contextlib.suppress(ProcessLookupError):  # all of it ended already
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
