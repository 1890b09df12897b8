"""A training run's checkpoint: the model, its optimizer, the steps taken and the time spent,
so that a run stopped (or killed) and started again goes on where it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch


def resume(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, log: Callable[[str], None]
) -> tuple[int, float]:
    """Load ``path`` into ``model`` and ``optimizer`` if it exists: (steps taken, seconds spent)."""
    if not path.exists():
        return 0, 0.0
    saved = torch.load(path, weights_only=True)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    step, spent = int(saved["step"]), float(saved["spent"])
    log(f"resumed at step {step} ({spent / 60:.1f} min)")
    return step, spent


def save(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int, spent: float
) -> None:
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    torch.save({**state, "step": step, "spent": spent}, path)
