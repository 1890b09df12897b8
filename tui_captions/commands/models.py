"""``captions-tui models``: the catalog, so a user can choose a ``--model`` by its figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from tui_captions import paths
from tui_captions.asr.cards import MODEL_CARDS, ModelCard, languages_label, on_disk
from tui_captions.asr.defaults import DEFAULT_MODEL

MB = 1_000_000
FIGURES = ("size", "params", "chunk", "WER (published)")  # right-aligned


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "models",
        help="list the models --model takes: languages, size, published WER, on disk",
        description="List the catalog's models: engine, languages, size (on disk, or as "
        "published before the download), parameters, chunk, the word error rate published "
        "with the model and the set it was measured on, whether it writes punctuation, and "
        f"whether it is on disk ({paths.models_dir()}). Figures are the published ones, "
        "never measured here; docs/models.md compares them.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON array on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    models_root = paths.models_dir()
    rows = [_row(card, on_disk(card, models_root)) for card in MODEL_CARDS]
    if args.json:
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
        print()
        return 0
    table = Table(
        box=box.SIMPLE_HEAD,
        caption=f"* the default · ~ size as published, before the download · ? not "
        f"published · downloads go to {models_root}",
    )
    columns = ("name", "engine", "languages", *FIGURES, "measured on")
    for column in (*columns, "punct", "on disk"):
        table.add_column(
            column, no_wrap=column == "name", justify="right" if column in FIGURES else "left"
        )
    for card, row in zip(MODEL_CARDS, rows, strict=True):
        table.add_row(
            f"{card.name}*" if card.name == DEFAULT_MODEL else card.name,
            card.engine,
            languages_label(card.languages),
            _size_label(row),
            "?" if card.params_m is None else f"{card.params_m:g} M",
            "?" if card.chunk_ms is None else f"{card.chunk_ms} ms",
            "?" if card.wer is None else card.wer.wer,
            "" if card.wer is None else card.wer.measured_on,
            "yes" if card.punctuates else "no",
            "yes" if row["on_disk"] else "no",
        )
    Console().print(table)
    return 0


def _row(card: ModelCard, directory: Path | None) -> dict[str, Any]:
    """One model for scripts: the card, where it is, and its size (on disk when it is)."""
    return {
        "name": card.name,
        "default": card.name == DEFAULT_MODEL,
        "engine": card.engine,
        "family": card.family,
        "languages": list(card.languages),
        "params_millions": card.params_m,
        "chunk_ms": card.chunk_ms,
        "published_wer": None if card.wer is None else card.wer.wer,
        "wer_measured_on": None if card.wer is None else card.wer.measured_on,
        "punctuates": card.punctuates,
        "on_disk": directory is not None,
        "path": None if directory is None else str(directory),
        "size_mb": card.size_mb if directory is None else round(_bytes_in(directory) / MB),
        "size_is_published": directory is None and card.size_mb is not None,
        "release_archive": None if card.archive is None else card.archive.url,
        "archive_sha256": None if card.archive is None else card.archive.sha256,
    }


def _bytes_in(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _size_label(row: dict[str, Any]) -> str:
    if row["size_mb"] is None:
        return "?"
    return f"{'~' if row['size_is_published'] else ''}{row['size_mb']} MB"
