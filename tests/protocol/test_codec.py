"""The LWF1 binary codec: layout, round trips, quantisation and refusal of broken messages."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from app.protocol.codec import MAGIC, Array, CodecError, decode, encode, quantize


def _header(message: bytes) -> tuple[dict, int]:
    """The JSON header of a message, parsed by hand, and where its array section starts."""
    assert message[:4] == b"LWF1"
    (length,) = struct.unpack("<I", message[4:8])
    header = json.loads(message[8 : 8 + length].decode("utf-8"))
    start = 8 + length
    return header, start + (-start) % 8


def test_encode_frame_layout_by_hand() -> None:
    data = np.array([[1.5, -2.0, 3.25]], dtype=np.float32)
    message = encode("frame", 7, 12.5, [Array("w", data)], {"loss": 0.25}, name="x")
    header, start = _header(message)
    assert header["type"] == "frame"
    assert header["step"] == 7
    assert header["time"] == 12.5
    assert header["metrics"] == {"loss": 0.25}
    assert header["name"] == "x"
    assert header["arrays"] == [{"name": "w", "dtype": "float32", "shape": [1, 3], "offset": 0}]
    (length,) = struct.unpack("<I", message[4:8])
    assert start % 8 == 0
    assert set(message[8 + length : start]) <= {0}
    raw = message[start : start + 12]
    assert struct.unpack("<3f", raw) == (1.5, -2.0, 3.25)


@pytest.mark.parametrize(
    ("dtype", "values"),
    [
        ("float32", np.array([[0.0, -1.5], [3.0e30, 1.0e-30], [np.pi, -np.e]], dtype="<f4")),
        ("int32", np.array([-(2**31), -1, 0, 1, 2**31 - 1], dtype="<i4")),
    ],
)
def test_decode_round_trip_exact(dtype: str, values: np.ndarray) -> None:
    message = encode("snapshot", 3, 1.0, [Array("a", values)])
    frame = decode(message)
    assert frame.type == "snapshot"
    assert frame.step == 3
    array = frame.arrays["a"]
    assert array.data.dtype == np.dtype(dtype)
    assert array.data.shape == values.shape
    assert array.scale is None
    np.testing.assert_array_equal(array.data, values)


def test_decode_round_trip_uint8_with_scale() -> None:
    q = np.array([[0, 1, 254, 255]], dtype=np.uint8)
    frame = decode(encode("frame", 0, 0.0, [Array("b", q, (-2.0, 3.0))]))
    array = frame.arrays["b"]
    np.testing.assert_array_equal(array.data, q)
    assert array.scale == (-2.0, 3.0)
    expected = -2.0 + 5.0 * q.astype(np.float64) / 255.0
    np.testing.assert_allclose(array.values(), expected, rtol=1e-6)


def test_decode_round_trip_empty_arrays() -> None:
    arrays = [
        Array("none", np.zeros((0,), dtype=np.float32)),
        Array("rows", np.zeros((0, 3), dtype=np.int32)),
        Array("q", np.zeros((2, 0), dtype=np.uint8), (0.0, 0.0)),
        Array("after", np.array([5], dtype=np.int32)),
    ]
    frame = decode(encode("dataset", 0, 0.0, arrays))
    assert [a for a in frame.arrays] == ["none", "rows", "q", "after"]
    assert frame.arrays["none"].data.shape == (0,)
    assert frame.arrays["rows"].data.shape == (0, 3)
    assert frame.arrays["q"].data.shape == (2, 0)
    assert frame.arrays["after"].data.tolist() == [5]


def test_encode_odd_sizes_aligned_and_zero_padded() -> None:
    rng = np.random.default_rng(0)
    arrays = [
        Array("u", rng.integers(0, 256, 7).astype(np.uint8), (0.0, 1.0)),
        Array("f", rng.normal(size=3).astype(np.float32)),
        Array("v", rng.integers(0, 256, (3, 3)).astype(np.uint8), (-1.0, 1.0)),
        Array("i", rng.integers(-5, 5, 1).astype(np.int32)),
    ]
    message = encode("frame", 1, 0.5, arrays, metrics={"loss": 1.0})
    header, start = _header(message)
    assert (len(message) - start) % 8 == 0
    end_of_previous = 0
    for spec, arr in zip(header["arrays"], arrays):
        assert spec["offset"] % 8 == 0
        # Everything between the end of the previous array and this offset is zero padding.
        assert set(message[start + end_of_previous : start + spec["offset"]]) <= {0}
        end_of_previous = spec["offset"] + arr.data.nbytes
    assert set(message[start + end_of_previous :]) <= {0}
    frame = decode(message)
    for arr in arrays:
        np.testing.assert_array_equal(frame.arrays[arr.name].data, arr.data)


def test_encode_refuses_unsupported_dtype_and_bad_scale() -> None:
    with pytest.raises(CodecError):
        encode("frame", 0, 0.0, [Array("d", np.zeros(2, dtype=np.float64))])
    with pytest.raises(CodecError):
        encode("frame", 0, 0.0, [Array("u", np.zeros(2, dtype=np.uint8))])
    with pytest.raises(CodecError):
        encode("frame", 0, 0.0, [Array("f", np.zeros(2, dtype=np.float32), (0.0, 1.0))])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quantize_error_within_half_step(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = (rng.normal(size=(37, 19)) * 10 ** rng.uniform(-3, 3)).astype(np.float32)
    q = quantize(values)
    lo, hi = float(values.min()), float(values.max())
    assert q.scale == (lo, hi)
    assert q.data.dtype == np.uint8
    assert q.data.min() == 0
    assert q.data.max() == 255
    restored = lo + (hi - lo) * q.data.astype(np.float64) / 255.0
    error = np.abs(restored - values.astype(np.float64)).max()
    assert error <= (hi - lo) / 510 * (1 + 1e-5)
    # The codec's own reading of the array agrees with the formula of the protocol.
    np.testing.assert_allclose(q.values(), restored, rtol=0, atol=(hi - lo) * 1e-6)


def test_quantize_constant_and_empty() -> None:
    q = quantize(np.full((3, 3), 0.75, dtype=np.float32))
    assert q.scale == (0.75, 0.75)
    assert (q.data == 0).all()
    assert np.allclose(q.values(), 0.75)
    empty = quantize(np.zeros((0, 4), dtype=np.float32))
    assert empty.data.shape == (0, 4)
    assert empty.scale == (0.0, 0.0)


def test_encode_non_finite_metrics_as_null() -> None:
    metrics = {"loss": float("nan"), "test_loss": float("inf"), "acc": 0.5, "batch_loss": None}
    message = encode("frame", 3, 0.0, [], metrics)
    header, _ = _header(message)  # strict JSON: no NaN or Infinity
    assert header["metrics"] == {"loss": None, "test_loss": None, "acc": 0.5, "batch_loss": None}


def test_quantize_ignores_non_finite_values() -> None:
    values = np.array([[np.nan, 1.0], [3.0, np.inf], [-np.inf, 2.0]], dtype=np.float32)
    q = quantize(values)
    assert q.scale == (1.0, 3.0)
    assert q.data[0, 1] == 0
    assert q.data[1, 0] == 255
    assert q.data[1, 1] == 255  # +inf shows as the top of the scale
    assert q.data[2, 0] == 0  # -inf (and NaN) as the bottom
    assert q.data[2, 1] == 128
    encode("frame", 0, 0.0, [Array("b", q.data, q.scale)])  # a valid message
    nothing = quantize(np.full(4, np.nan, dtype=np.float32))
    assert nothing.scale == (0.0, 0.0)
    assert (nothing.data == 0).all()


def _valid() -> bytes:
    return encode("frame", 1, 0.0, [Array("a", np.arange(6, dtype=np.float32))])


def test_decode_rejects_bad_magic() -> None:
    message = _valid()
    with pytest.raises(CodecError):
        decode(b"LWF2" + message[4:])
    with pytest.raises(CodecError):
        decode(b"")


@pytest.mark.parametrize("keep", [3, 7, 8, 20])
def test_decode_rejects_truncated_header(keep: int) -> None:
    with pytest.raises(CodecError):
        decode(_valid()[:keep])


def test_decode_rejects_truncated_arrays() -> None:
    message = _valid()
    with pytest.raises(CodecError):
        decode(message[:-1])
    with pytest.raises(CodecError):
        decode(message[:-24])


def _with_header(header: bytes, body: bytes = b"") -> bytes:
    prefix = MAGIC + struct.pack("<I", len(header)) + header
    return prefix + b"\0" * ((-len(prefix)) % 8) + body


@pytest.mark.parametrize(
    "header",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"type": "frame", "step": 0, "time": 0}',
        b'{"type": "frame", "step": 0, "time": 0, "arrays": [{"name": "a"}]}',
        b'{"type": "frame", "step": 0, "time": 0, "arrays": '
        b'[{"name": "a", "dtype": "float64", "shape": [1], "offset": 0}]}',
        b'{"type": "frame", "step": 0, "time": 0, "arrays": '
        b'[{"name": "a", "dtype": "float32", "shape": [1], "offset": -8}]}',
        b'{"type": "frame", "step": 0, "time": 0, "arrays": '
        b'[{"name": "a", "dtype": "float32", "shape": [1], "offset": 3}]}',
    ],
)
def test_decode_rejects_malformed_header(header: bytes) -> None:
    with pytest.raises(CodecError):
        decode(_with_header(header, b"\0" * 16))
