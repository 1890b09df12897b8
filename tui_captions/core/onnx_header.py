"""What sherpa-onnx reads of an ONNX file before it runs it, read without loading the weights.

sherpa-onnx picks a model's family and sizes from the file's custom metadata
and from the graph's inputs and outputs (their number and order). Building an
onnxruntime session to learn them would load the weights (650 MB for
Nemotron), so this reads the protobuf fields themselves over ``mmap``:
``ModelProto.metadata_props`` (14) and the ``graph`` (7)'s ``input`` (11),
``output`` (12) and initializer names (5), skipping every other field by its
length. A length that runs past the end of the file is a truncated file.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tui_captions.errors import ModelError

# Field numbers of onnx.proto (onnx/onnx.proto3).
_MODEL_GRAPH = 7
_MODEL_METADATA = 14
_ENTRY_KEY, _ENTRY_VALUE = 1, 2
_GRAPH_INITIALIZER = 5
_GRAPH_INPUT, _GRAPH_OUTPUT = 11, 12
_TENSOR_NAME = 8
_VALUE_NAME, _VALUE_TYPE = 1, 2
_TYPE_TENSOR = 1
_TENSOR_TYPE_ELEM, _TENSOR_TYPE_SHAPE = 1, 2
_SHAPE_DIM = 1
_DIM_VALUE, _DIM_PARAM = 1, 2

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5

# TensorProto.DataType values sherpa-onnx's inputs use.
FLOAT = 1
INT64 = 7

INT32_MAX = 2**31 - 1
INTEGER = re.compile(r"\s*[+-]?\d+\s*")

Dim = int | str | None  # a fixed size, a named (dynamic) one, or none given


class _DamagedError(Exception):
    """The bytes are not a well-formed protobuf message (cut short or garbled)."""


@dataclass(frozen=True)
class OnnxValue:
    """One graph input or output: its name, element type and shape, as declared."""

    name: str
    elem_type: int | None = None
    dims: tuple[Dim, ...] | None = None


@dataclass(frozen=True)
class OnnxHeader:
    """An ONNX file's custom metadata and its graph's inputs and outputs, in order."""

    path: Path
    metadata: Mapping[str, str]
    inputs: tuple[OnnxValue, ...]
    outputs: tuple[OnnxValue, ...]

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(value.name for value in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(value.name for value in self.outputs)


def read_onnx_header(path: Path) -> OnnxHeader:
    """Raises ModelError (naming the file) when it cannot be read or is not a whole ONNX model."""
    try:
        with path.open("rb") as file:
            if path.stat().st_size == 0:
                raise ModelError(f"{path}: the file is empty: download the model again")
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                view = memoryview(mapped)
                try:
                    return _parse_model(path, view)
                except _DamagedError as exc:
                    raise ModelError(
                        f"{path}: not a whole ONNX model ({exc}): download the model again"
                    ) from None
                finally:
                    view.release()
    except FileNotFoundError:
        raise ModelError(f"{path}: file is missing from the model directory") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from None


def metadata_int(header: OnnxHeader, key: str, *, positive: bool = True) -> int:
    """SHERPA_ONNX_READ_META_DATA: sherpa-onnx exits on a missing or empty key, and reads
    it with atoi (which overflows past int32): a checked value, or one ModelError."""
    text = header.metadata.get(key, "")
    if not text:
        raise ModelError(
            f"{header.path}: metadata key {key!r} is missing; sherpa-onnx needs it: "
            "export the model with sherpa-onnx's or icefall's script, or download it again"
        )
    if not INTEGER.fullmatch(text) or not -INT32_MAX - 1 <= int(text) <= INT32_MAX:
        raise ModelError(
            f"{header.path}: metadata {key}={text!r} is not an integer: export the model again"
        )
    value = int(text)
    if value < 0 or (positive and value == 0):
        bound = "positive" if positive else "0 or more"
        raise ModelError(
            f"{header.path}: metadata {key}={value} must be {bound}: export the model again"
        )
    return value


def _parse_model(path: Path, buf: memoryview) -> OnnxHeader:
    metadata: dict[str, str] = {}
    graph: tuple[int, int] | None = None
    for number, wire, start, end in _fields(buf, 0, len(buf)):
        if wire != _LENGTH:
            continue
        if number == _MODEL_METADATA:
            entry = {n: _text(buf, s, e) for n, w, s, e in _fields(buf, start, end) if w == _LENGTH}
            metadata[entry.get(_ENTRY_KEY, "")] = entry.get(_ENTRY_VALUE, "")
        elif number == _MODEL_GRAPH:
            graph = (start, end)
    if graph is None:
        raise _DamagedError("it has no graph")
    inputs: list[OnnxValue] = []
    outputs: list[OnnxValue] = []
    initializers: set[str] = set()
    for number, wire, start, end in _fields(buf, *graph):
        if wire != _LENGTH:
            continue
        if number == _GRAPH_INPUT:
            inputs.append(_value_info(buf, start, end))
        elif number == _GRAPH_OUTPUT:
            outputs.append(_value_info(buf, start, end))
        elif number == _GRAPH_INITIALIZER:
            initializers.update(
                _text(buf, s, e) for n, w, s, e in _fields(buf, start, end) if n == _TENSOR_NAME
            )
    # Before IR version 4 initializers were listed among the inputs too; onnxruntime
    # (and so sherpa-onnx) does not count those as inputs.
    return OnnxHeader(
        path,
        metadata,
        tuple(value for value in inputs if value.name not in initializers),
        tuple(outputs),
    )


def _value_info(buf: memoryview, start: int, end: int) -> OnnxValue:
    name = ""
    elem_type: int | None = None
    dims: tuple[Dim, ...] | None = None
    for number, wire, s, e in _fields(buf, start, end):
        if number == _VALUE_NAME and wire == _LENGTH:
            name = _text(buf, s, e)
        elif number == _VALUE_TYPE and wire == _LENGTH:
            for n, w, ts, te in _fields(buf, s, e):
                if n == _TYPE_TENSOR and w == _LENGTH:
                    elem_type, dims = _tensor_type(buf, ts, te)
    return OnnxValue(name, elem_type, dims)


def _tensor_type(
    buf: memoryview, start: int, end: int
) -> tuple[int | None, tuple[Dim, ...] | None]:
    elem_type: int | None = None
    dims: list[Dim] | None = None
    for number, wire, s, e in _fields(buf, start, end):
        if number == _TENSOR_TYPE_ELEM and wire == _VARINT:
            elem_type = s
        elif number == _TENSOR_TYPE_SHAPE and wire == _LENGTH:
            dims = [_dim(buf, ds, de) for n, w, ds, de in _fields(buf, s, e) if n == _SHAPE_DIM]
    return elem_type, None if dims is None else tuple(dims)


def _dim(buf: memoryview, start: int, end: int) -> Dim:
    for number, wire, s, e in _fields(buf, start, end):
        if number == _DIM_VALUE and wire == _VARINT:
            return s - (1 << 64) if s >= 1 << 63 else s  # int64 on the wire
        if number == _DIM_PARAM and wire == _LENGTH:
            return _text(buf, s, e)
    return None


def _fields(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, start, end) of each field; a varint's value is its start."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, pos
            continue
        if wire == _LENGTH:
            length, pos = _varint(buf, pos, end)
        elif wire == _FIXED64:
            length = 8
        elif wire == _FIXED32:
            length = 4
        else:
            raise _DamagedError(f"wire type {wire} at byte {pos}")
        if pos + length > end:
            raise _DamagedError(f"a field at byte {pos} runs past the end: the file is cut short")
        yield number, wire, pos, pos + length
        pos += length


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end:
            raise _DamagedError("the file is cut short")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise _DamagedError(f"a garbled number at byte {pos}")


def _text(buf: memoryview, start: int, end: int) -> str:
    return bytes(buf[start:end]).decode("utf-8", errors="replace")
