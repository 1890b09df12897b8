"""The audio-visual model directory, importable without torch: its files, and the format
its ``config.json`` declares, which the registry and the catalog read before (or instead
of) loading the engine."""

from __future__ import annotations

from dataclasses import dataclass

from tui_captions.asr.defaults import AV_MODEL_FILES

FORMAT = "captions-tui/av-rnnt"  # what the directory's config.json declares
VERSION = 1
MODEL_FILE, TOKENIZER_FILE = AV_MODEL_FILES
HINTS_FILE = "captions-tui.json"  # optional: how a model trained here runs


@dataclass(frozen=True)
class AvsrConfig:
    """The ``config.json`` the catalog gives the published files, which hold no settings of
    ours: only the format, so that the registry finds this engine as it finds the others."""

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "version": VERSION}
