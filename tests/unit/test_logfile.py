"""The log file's rules: warnings and errors always, with tracebacks; debug events only when
asked; a message names the file once something was written there."""

from __future__ import annotations

import logging
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_captions.core import logfile
from tui_captions.web.server import CaptionServer


@pytest.fixture
def package_logger() -> Iterator[logging.Logger]:
    """The package's logger as the test found it, afterwards (the app's tests share it)."""
    logger = logging.getLogger(logfile.PACKAGE)
    handlers, level = list(logger.handlers), logger.level
    yield logger
    for handler in logger.handlers:
        if handler not in handlers:
            handler.close()
    logger.handlers[:] = handlers
    logger.setLevel(level)


def fail(logger: logging.Logger) -> None:
    try:
        raise RuntimeError("the meter is gone")
    except RuntimeError:
        logger.exception("the level meter failed")


def test_without_debug_only_warnings_are_written_with_their_traceback(
    tmp_path: Path, package_logger: logging.Logger
) -> None:
    path = tmp_path / "state" / "captions-tui.log"
    logfile.start(path, debug=False)
    worker = logging.getLogger("tui_captions.audio.worker")
    worker.debug("capture worker 12 started")
    assert not path.exists()  # nothing written: no file, and messages name none
    assert logfile.mention("captions-tui: error: x") == "captions-tui: error: x"
    fail(logging.getLogger("tui_captions.tui.backend"))
    text = path.read_text(encoding="utf-8")
    assert "ERROR tui_captions.tui.backend: the level meter failed" in text
    assert "Traceback" in text and "RuntimeError: the meter is gone" in text
    assert "capture worker" not in text
    assert logfile.mention("captions-tui: error: x") == f"captions-tui: error: x (log: {path})"


def test_stderr_gets_one_line_a_warning_the_file_keeps_the_traceback(
    tmp_path: Path, package_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A headless command's stderr: no traceback, and a record the caller words itself
    (``FILE_ONLY``) only in the file."""
    path = tmp_path / "captions-tui.log"
    logfile.start(path, debug=False)
    logfile.echo_to_stderr()
    fail(logging.getLogger("tui_captions.tui.backend"))
    logging.getLogger("tui_captions.speakers").warning("labelling failed", extra=logfile.FILE_ONLY)
    assert capsys.readouterr().err == "captions-tui: the level meter failed\n"
    text = path.read_text(encoding="utf-8")
    assert "Traceback" in text and "labelling failed" in text


def test_debug_writes_the_events_and_a_new_start_replaces_the_file(
    tmp_path: Path, package_logger: logging.Logger
) -> None:
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    logfile.start(first, debug=True)
    logging.getLogger("tui_captions.audio.worker").debug("capture worker 12 started")
    logfile.start(second, debug=False)
    logging.getLogger("tui_captions.audio.worker").debug("capture worker 13 started")
    assert "DEBUG tui_captions.audio.worker: capture worker 12 started" in first.read_text()
    assert "worker 13" not in first.read_text() and not second.exists()
    assert logfile.ensure(tmp_path / "other.log") == second  # the one started is kept


@pytest.mark.parametrize(
    ("option", "variable", "wanted"),
    [
        (False, None, False),
        (True, None, True),
        (False, "1", True),
        (False, "0", False),
        (False, "", False),
    ],
)
def test_debug_is_asked_by_the_option_or_the_variable(
    monkeypatch: pytest.MonkeyPatch, option: bool, variable: str | None, wanted: bool
) -> None:
    monkeypatch.delenv(logfile.DEBUG_VARIABLE, raising=False)
    if variable is not None:
        monkeypatch.setenv(logfile.DEBUG_VARIABLE, variable)
    assert logfile.debug_requested(option) is wanted


def test_the_caption_server_logs_its_start_its_clients_and_its_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="tui_captions.web.server")
    server = CaptionServer("127.0.0.1", 0, {})
    server.start()
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/events", timeout=10) as events:
        deadline = time.monotonic() + 10
        while server.clients == 0:
            assert time.monotonic() < deadline, "the client was never counted"
            time.sleep(0.01)
        server.publish({"type": "end"})
        server.stop()  # the stream ends with the server
        assert b'"type": "end"' in events.read()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"caption server listening at {server.url}",
        "browser client 127.0.0.1 connected",
        "browser client 127.0.0.1 left",
        f"caption server at {server.url} stopped",
    ]
