"""What every engine's model directory shares: a ``config.json`` that declares its format
(which engine reads it, ``registry.ENGINES``) and version, and weights stored as a plain
state_dict, loaded with ``weights_only=True``: a model directory is data, never code.

Importable without torch (the registry reads ``config.json`` before it knows the engine,
and the sherpa-onnx engine never uses torch): only the weights' functions import it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui_captions.errors import ModelError

if TYPE_CHECKING:
    import torch

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.pt"


def read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{path}: file is missing from the model directory") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None


def config_object(blob: object, where: Path, fmt: str, version: int) -> dict[str, Any]:
    """A parsed ``config.json`` of format ``fmt`` at ``version``, or the problem named."""
    if not isinstance(blob, dict):
        raise ModelError(f"{where}: expected a JSON object")
    if blob.get("format") != fmt:
        raise ModelError(
            f"{where}: format is {blob.get('format')!r}, not {fmt!r}: "
            "this is not a captions-tui model directory"
        )
    if blob.get("version") != version:
        raise ModelError(
            f"{where}: format version {blob.get('version')!r} is not supported "
            f"(this captions-tui reads version {version} of {fmt}); "
            "update captions-tui or re-create the model directory"
        )
    return blob


ModuleT = TypeVar("ModuleT", bound="torch.nn.Module")


def load_weights(path: Path, model: ModuleT) -> ModuleT:
    """A stored state_dict (fp16 or fp32) into ``model``; any problem names the file."""
    import torch

    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{path}: file is missing from the model directory") from None
    except Exception as exc:  # torch raises many types for corrupt files
        raise ModelError(
            f"{path}: not a readable weights file ({type(exc).__name__}: {exc})".splitlines()[0]
        ) from None
    if not isinstance(state_dict, dict):
        raise ModelError(f"{path}: expected a state_dict, found {type(state_dict).__name__}")
    try:
        model.load_state_dict({k: v.float() for k, v in state_dict.items()})
    except (RuntimeError, AttributeError) as exc:
        first_line = str(exc).strip().splitlines()[0:2]
        raise ModelError(
            f"{path}: weights do not match the architecture in {CONFIG_FILE} "
            f"({' '.join(first_line)})"
        ) from None
    return model.eval()


def save_weights(path: Path, state_dict: dict[str, torch.Tensor], *, half: bool) -> None:
    """``half`` stores float tensors as fp16 (half the size; the loader converts back)."""
    import torch

    tensors = {
        k: (v.half() if half and v.is_floating_point() else v).contiguous()
        for k, v in state_dict.items()
    }
    torch.save(tensors, path)
