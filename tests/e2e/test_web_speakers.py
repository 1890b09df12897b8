"""Speaker labels on the caption page, in a real browser: each speaker named in a colour of
its own, a line whose speaker came later relabelled in place, a speaker renamed."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.browser import browser
from tui_captions.core.segments import Segment
from tui_captions.web.publish import WebSink, start_server

pytestmark = pytest.mark.slow


def test_the_page_names_speakers_in_their_colours_and_relabels_a_line() -> None:
    server = start_server("127.0.0.1:0")
    assert server is not None
    sink = WebSink(server)
    try:
        with browser() as page:
            page.open(server.url)
            lines = [
                Segment(0, 1.0, 2.0, "x", display="Shall we start?", speaker="Speaker 1"),
                Segment(1, 2.5, 3.25, "x", display="Yes please.", speaker="Speaker 2"),
                Segment(2, 4.0, 5.125, "x", display="Who said that?"),
            ]
            for segment in lines:
                sink.final(segment)
            page.wait_for(lambda text: "Who said that?" in text, "the lines")
            assert "Speaker 1: Shall we start?" in page.text()
            colours = json.loads(
                page.evaluate(
                    "JSON.stringify([...document.querySelectorAll('#lines .label')]"
                    ".map((label) => getComputedStyle(label).color))"
                )
            )
            assert len(colours) == 2 and colours[0] != colours[1]
            sink.speaker(dataclasses.replace(lines[2], speaker="Speaker 1"))
            page.wait_for(lambda text: "Speaker 1: Who said that?" in text, "the relabel")
            assert page.evaluate("document.querySelectorAll('#lines p').length") == 3
            sink.renamed("", "Speaker 1", "Alice")
            page.wait_for(lambda text: "Alice: Who said that?" in text, "the rename")
            assert "Alice: Shall we start?" in page.text()
            assert "Speaker 2: Yes please." in page.text()
    finally:
        server.stop()
