"""The app with ``--serve`` where no server can start: a notification, and no URL anywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui_captions.tui.app import AppOptions, CaptionsApp


def test_a_server_that_cannot_start_is_a_notification(tmp_path: Path) -> None:
    host = "a" * 64  # too long for a host name: an error that is not an OSError
    app = CaptionsApp(
        AppOptions(
            model=str(tmp_path / "no-model"),
            beam=4,
            threads=1,
            serve=f"{host}:8080",
            sessions_dir=tmp_path / "sessions",
            settings_path=tmp_path / "settings.toml",
            user_themes_dir=tmp_path / "themes",
        )
    )

    async def flow() -> None:
        async with app.run_test(size=(110, 32)):
            [note] = [n for n in app._notifications if n.title == "Web captions"]
            assert note.severity == "error" and "cannot listen there" in note.message
            assert app.server is None

    asyncio.run(flow())
