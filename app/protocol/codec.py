"""The binary frame codec.

Layout, little-endian: b"LWF1" · uint32 header length H · H bytes of UTF-8 JSON header ·
zero padding to a multiple of 8 · the arrays' raw bytes, each starting at an offset (from
the start of the array section) that is a multiple of 8, C order. A uint8 array carries
``scale: [lo, hi]`` and stands for ``lo + (hi - lo) * q / 255``.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAGIC = b"LWF1"
DTYPES = {"float32": np.dtype("<f4"), "uint8": np.dtype("u1"), "int32": np.dtype("<i4")}
_ALIGN = 8


class CodecError(ValueError):
    """A binary message that does not follow the LWF1 layout."""


@dataclass
class Array:
    """One named array of a frame; ``scale`` is set for quantised uint8 arrays."""

    name: str
    data: np.ndarray
    scale: tuple[float, float] | None = None

    def values(self) -> np.ndarray:
        """The array as float32 values, undoing uint8 quantisation."""
        if self.scale is None:
            return self.data
        lo, hi = self.scale
        return (lo + (hi - lo) * self.data.astype(np.float32) / 255.0).astype(np.float32)


@dataclass
class Frame:
    """A decoded binary message: its header fields and its arrays by name."""

    type: str
    step: int
    time: float
    metrics: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, Array] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def quantize(values: np.ndarray) -> Array:
    """Quantise float values to uint8 over their own [min, max] range."""
    values = np.asarray(values, dtype=np.float32)
    finite = values[np.isfinite(values)]  # a diverged model: NaN shows as lo, ±inf as hi/lo
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    values = np.nan_to_num(values, nan=lo, posinf=hi, neginf=lo)
    q = np.rint((values - lo) * (255.0 / (hi - lo))) if hi > lo else np.zeros_like(values)
    return Array("", q.astype(np.uint8), (lo, hi))


def _json_number(value: Any) -> Any:
    """A non-finite float (a diverged loss) travels as null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _pad(n: int) -> int:
    return (-n) % _ALIGN


def encode(
    type: str,
    step: int,
    time: float,
    arrays: list[Array],
    metrics: dict[str, Any] | None = None,
    **extra: Any,
) -> bytes:
    """Encode one binary message (frame, snapshot, dataset or probe)."""
    specs: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    offset = 0
    for arr in arrays:
        dtype_name = next((k for k, v in DTYPES.items() if v == arr.data.dtype), None)
        if dtype_name is None:
            raise CodecError(f"array {arr.name!r}: dtype {arr.data.dtype} is not in {list(DTYPES)}")
        if (dtype_name == "uint8") != (arr.scale is not None):
            raise CodecError(f"array {arr.name!r}: a uint8 array needs a scale, others none")
        raw = np.ascontiguousarray(arr.data, dtype=DTYPES[dtype_name]).tobytes()
        spec: dict[str, Any] = {
            "name": arr.name,
            "dtype": dtype_name,
            "shape": list(arr.data.shape),
            "offset": offset,
        }
        if arr.scale is not None:
            spec["scale"] = [float(arr.scale[0]), float(arr.scale[1])]
        specs.append(spec)
        blobs.append(raw + b"\0" * _pad(len(raw)))
        offset += len(raw) + _pad(len(raw))
    header = {
        "type": type,
        "step": int(step),
        "time": float(time),
        "metrics": {k: _json_number(v) for k, v in (metrics or {}).items()},
        "arrays": specs,
        **extra,
    }
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    prefix = MAGIC + struct.pack("<I", len(head)) + head
    return b"".join([prefix, b"\0" * _pad(len(prefix)), *blobs])


def decode(message: bytes) -> Frame:
    """Decode one binary message; arrays are read-only views into ``message``."""
    if len(message) < 8 or message[:4] != MAGIC:
        raise CodecError("not an LWF1 message")
    (length,) = struct.unpack_from("<I", message, 4)
    if 8 + length > len(message):
        raise CodecError("header runs past the end of the message")
    try:
        header = json.loads(message[8 : 8 + length])
        start = 8 + length + _pad(8 + length)
        arrays: dict[str, Array] = {}
        for spec in header.pop("arrays"):
            dtype = DTYPES[spec["dtype"]]
            shape = tuple(spec["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            if spec["offset"] < 0 or spec["offset"] % _ALIGN or count < 0:
                raise CodecError(f"array {spec['name']!r}: bad offset or shape")
            begin = start + spec["offset"]
            if begin + count * dtype.itemsize > len(message):
                raise CodecError(f"array {spec['name']!r} runs past the end of the message")
            data = np.frombuffer(message, dtype=dtype, count=count, offset=begin).reshape(shape)
            scale = tuple(spec["scale"]) if "scale" in spec else None
            arrays[spec["name"]] = Array(spec["name"], data, scale)
        return Frame(
            type=header.pop("type"),
            step=header.pop("step"),
            time=header.pop("time"),
            metrics=header.pop("metrics", {}),
            arrays=arrays,
            extra=header,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"malformed LWF1 header: {type(exc).__name__}: {exc}") from None
