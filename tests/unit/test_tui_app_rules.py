"""House rules of the app module: it talks to the captions screen through the screen's own
API and messages, never by looking up the screen's widgets."""

from __future__ import annotations

import ast
from pathlib import Path

import tui_captions.tui.app

LOOKUPS = {"query", "query_one", "query_exactly_one", "query_children", "get_widget_by_id"}


def test_the_app_does_not_look_up_widgets() -> None:
    path = Path(tui_captions.tui.app.__file__)
    tree = ast.parse(path.read_text(), filename=str(path))
    lookups = [
        f"line {node.lineno}: {node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in LOOKUPS
    ]
    assert lookups == []
