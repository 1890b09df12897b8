"""Opening an ONNX file with ONNX Runtime, where a bad file is the user's to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_captions.errors import ModelError


def open_session(path: Path, threads: int = 1) -> Any:  # an onnxruntime.InferenceSession
    """A CPU session on ``threads`` threads, or one ModelError naming the file and why."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about the graph are not the user's business
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ONNX Runtime raises its own types for unreadable files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not a model ONNX Runtime can load ({reason})") from None
