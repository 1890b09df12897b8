"""Values -> colour bands -> bars and sparklines, shared by the level and latency panes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Bands:
    """Upper bounds (exclusive) of each band but the last; band names index component styles."""

    names: tuple[str, ...]
    bounds: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.names) != len(self.bounds) + 1:
            raise ValueError("need one more band name than bounds")

    def of(self, value: float) -> str:
        for name, bound in zip(self.names, self.bounds, strict=False):
            if value < bound:
                return name
        return self.names[-1]


def fraction(value: float, lo: float, hi: float) -> float:
    """Where ``value`` sits between ``lo`` and ``hi``, clamped to 0..1."""
    if hi <= lo:
        raise ValueError("hi must be above lo")
    return min(1.0, max(0.0, (value - lo) / (hi - lo)))


def sparkline(
    values: Sequence[float],
    lo: float,
    hi: float,
    width: int,
    style_of: Callable[[float], Style],
) -> Text:
    """The last ``width`` values as block characters, each coloured by its own band."""
    text = Text()
    for value in values[-width:] if width > 0 else ():
        level = round(fraction(value, lo, hi) * (len(SPARK_BLOCKS) - 1))
        text.append(SPARK_BLOCKS[level], style_of(value))
    return text


def bar(
    value: float,
    lo: float,
    hi: float,
    width: int,
    style_of: Callable[[float], Style],
    empty_style: Style,
) -> Text:
    """A horizontal bar ``width`` cells long; each filled cell takes the band of its position."""
    filled = round(fraction(value, lo, hi) * width)
    text = Text()
    for cell in range(width):
        cell_value = lo + (cell + 0.5) / width * (hi - lo)
        if cell < filled:
            text.append("█", style_of(cell_value))
        else:
            text.append("·", empty_style)
    return text


def scale(ticks: Iterable[float], lo: float, hi: float, width: int, indent: int = 0) -> str:
    """Tick labels placed under a bar of ``width`` cells, dropping those that would overlap."""
    line = [" "] * (indent + width + 4)
    last_end = -1
    for tick in ticks:
        label = f"{tick:g}"
        at = indent + round(fraction(tick, lo, hi) * width) - len(label) // 2
        at = max(indent, min(at, len(line) - len(label)))
        if at <= last_end:
            continue
        line[at : at + len(label)] = label
        last_end = at + len(label)
    return "".join(line).rstrip()
