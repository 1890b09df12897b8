"""Readability rules: sentence case and "I", never lowering anything."""

from __future__ import annotations

import pytest

from tui_captions.text.rules import readable


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello there", "Hello there"),
        ("i think so", "I think so"),
        ("so i said no", "So I said no"),
        (
            "i'm here and i've been and i'll stay i'd say",
            "I'm here and I've been and I'll stay I'd say",
        ),
        ("i\u2019m curly", "I\u2019m curly"),
        ("it is in it", "It is in it"),
        ("ice is nice", "Ice is nice"),
        ("it's mine ain't it", "It's mine ain't it"),
        ("the letter i", "The letter I"),
        ("see i.e", "See i.e"),
        ("wi-fi and hi-i", "Wi-fi and hi-i"),
        ("done. next one! and? yes", "Done. Next one! And? Yes"),
        ("  leading space", "  Leading space"),
        ('"quoted start', '"Quoted start'),
        ("3 dogs ran", "3 dogs ran"),
        ("Already Cased NASA", "Already Cased NASA"),
        ("émile arrived", "Émile arrived"),
        ("", ""),
    ],
)
def test_readable(raw: str, expected: str) -> None:
    assert readable(raw) == expected
