"""The browser's LWF1 codec (static/js/codec.js via socket.js) against the Python codec, under node.

Python encodes, the real socket.js decodes under node and prints what it read; and the
reverse: socket.js encodes, Python decodes. Values are compared with numpy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.labs.two_moons import TwoMoons, TwoMoonsParams
from app.live.worker import encode_output
from app.protocol.codec import Array, decode, encode, quantize

ROOT = Path(__file__).resolve().parents[2]
SOCKET_JS = ROOT / "static" / "js" / "socket.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

RUNNER = """
import { readFileSync, writeFileSync } from "node:fs";
import { decode, encode, values } from "%(socket)s";

const [mode, input, output] = process.argv.slice(2);
const show = (frame, bytes) => ({
  type: frame.type, step: frame.step, time: frame.time, metrics: frame.metrics,
  extra: frame.extra,
  arrays: Object.fromEntries(Object.entries(frame.arrays).map(([name, a]) => [name, {
    dtype: a.dtype, shape: a.shape, scale: a.scale, data: Array.from(a.data),
    values: Array.from(values(a)), view: a.data.buffer === bytes.buffer,
    typed: a.data.constructor.name,
  }])),
});
if (mode === "decode") {
  const bytes = new Uint8Array(readFileSync(input));
  console.log(JSON.stringify(show(decode(bytes), bytes)));
} else if (mode === "decode-unaligned") {
  const file = readFileSync(input);
  const bytes = new Uint8Array(file.length + 3).subarray(3); // byteOffset 3: misaligned
  bytes.set(file);
  console.log(JSON.stringify(show(decode(bytes), bytes)));
} else if (mode === "decode-error") {
  try {
    decode(new Uint8Array(readFileSync(input)));
    console.log(JSON.stringify({ error: null }));
  } catch (exc) {
    console.log(JSON.stringify({ error: exc.constructor.name, message: exc.message }));
  }
} else if (mode === "encode") {
  const spec = JSON.parse(readFileSync(input, "utf8"));
  const Typed = { float32: Float32Array, uint8: Uint8Array, int32: Int32Array };
  spec.arrays = spec.arrays.map((a) => ({ ...a, data: Typed[a.dtype].from(a.data) }));
  writeFileSync(output, new Uint8Array(encode(spec)));
}
"""


def run_js(tmp_path: Path, mode: str, message: bytes | dict) -> dict | bytes:
    """Run the node runner on ``message``: decoded JSON, or for "encode" the bytes made."""
    runner = tmp_path / "runner.mjs"
    runner.write_text(RUNNER % {"socket": SOCKET_JS.as_uri()})
    source = tmp_path / "input"
    target = tmp_path / "output.bin"
    if isinstance(message, dict):
        source.write_text(json.dumps(message))
    else:
        source.write_bytes(message)
    done = subprocess.run(
        [NODE, str(runner), mode, str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return target.read_bytes() if mode == "encode" else json.loads(done.stdout)


def assert_same_arrays(js: dict, python: dict[str, Array]) -> None:
    """Every array decoded by JS equals Python's: dtype, shape, raw data and real values."""
    assert set(js) == set(python)
    for name, arr in python.items():
        got = js[name]
        assert got["dtype"] == arr.data.dtype.name
        assert got["shape"] == list(arr.data.shape)
        raw = np.array(got["data"], dtype=arr.data.dtype).reshape(arr.data.shape)
        np.testing.assert_array_equal(raw, arr.data, err_msg=name)
        real = np.array(got["values"], dtype=np.float64).reshape(arr.data.shape)
        np.testing.assert_allclose(real, arr.values(), rtol=1e-6, atol=1e-6, err_msg=name)
        assert (got["scale"] is None) == (arr.scale is None)


def mixed_message() -> tuple[bytes, dict[str, Array]]:
    """A message with every dtype, odd lengths (padding), an empty array and a 0-d shape."""
    rng = np.random.default_rng(7)
    q = quantize(rng.normal(size=(3, 5)).astype(np.float32))
    arrays = [
        Array("f/odd", rng.normal(size=7).astype("<f4")),
        Array("q/odd", q.data, q.scale),
        Array("i/odd", np.array([-(2**31), -1, 0, 5, 2**31 - 1], dtype="<i4")),
        Array("empty", np.zeros((0, 2), dtype="<f4")),
        Array("byte", np.array([255], dtype=np.uint8), (-1.0, 3.0)),
        Array("f/2d", np.array([[np.pi, -np.e, 1e-30], [3e30, 0.0, -0.0]], dtype="<f4")),
    ]
    message = encode("frame", 42, 1234.5, arrays, {"loss": 0.25, "batch_loss": None}, name="x")
    return message, {a.name: a for a in arrays}


def test_decode_python_message_in_js_every_dtype(tmp_path: Path) -> None:
    message, arrays = mixed_message()
    js = run_js(tmp_path, "decode", message)
    assert js["type"] == "frame"
    assert js["step"] == 42
    assert js["time"] == 1234.5
    assert js["metrics"] == {"loss": 0.25, "batch_loss": None}
    assert js["extra"] == {"name": "x"}
    assert_same_arrays(js["arrays"], arrays)
    assert js["arrays"]["byte"]["values"] == [3.0]  # lo + (hi - lo) * 255 / 255
    typed = {name: a["typed"] for name, a in js["arrays"].items()}
    assert typed["f/odd"] == "Float32Array"
    assert typed["q/odd"] == "Uint8Array"
    assert typed["i/odd"] == "Int32Array"


def test_decode_reads_views_without_copying(tmp_path: Path) -> None:
    message, _ = mixed_message()
    js = run_js(tmp_path, "decode", message)
    assert all(a["view"] for a in js["arrays"].values())


def test_decode_unaligned_buffer_copies_same_values(tmp_path: Path) -> None:
    message, arrays = mixed_message()
    js = run_js(tmp_path, "decode-unaligned", message)
    assert_same_arrays(js["arrays"], arrays)


def test_decode_real_two_moons_frame_and_dataset(tmp_path: Path) -> None:
    lab = TwoMoons(TwoMoonsParams(hidden=[3, 5], grid_n=37, neuron_grid=11))
    lab.step(4)
    for kind, output in (("frame", lab.frame()), ("dataset", lab.dataset())):
        message = encode_output(kind, output)
        python = decode(message)
        js = run_js(tmp_path, "decode", message)
        assert js["type"] == kind
        assert js["step"] == 4
        assert js["metrics"] == json.loads(json.dumps(python.metrics))
        assert_same_arrays(js["arrays"], python.arrays)
    frame_js = run_js(tmp_path, "decode", encode_output("frame", lab.frame()))["arrays"]
    assert frame_js["boundary"]["shape"] == [37, 37]
    assert frame_js["boundary"]["dtype"] == "uint8"
    assert frame_js["neurons/1"]["shape"] == [5, 11, 11]
    assert frame_js["weights/2"]["shape"] == [1, 5]


def test_decode_refuses_broken_messages(tmp_path: Path) -> None:
    message, _ = mixed_message()
    for broken in (b"NOPE" + message[4:], message[:-8], message[:6]):
        js = run_js(tmp_path, "decode-error", broken)
        assert js["error"] == "DecodeError", js


def test_encode_in_js_decodes_in_python(tmp_path: Path) -> None:
    spec = {
        "type": "probe",
        "step": 9,
        "time": 2.25,
        "metrics": {"acc": 0.5},
        "name": "predict",
        "arrays": [
            {"name": "p", "dtype": "float32", "shape": [3], "data": [0.125, -2.5, 1e-7]},
            {"name": "q", "dtype": "uint8", "shape": [1, 3], "data": [0, 128, 255],
             "scale": [-1, 1]},
            {"name": "ids", "dtype": "int32", "shape": [2, 1], "data": [-7, 2147483647]},
            {"name": "none", "dtype": "float32", "shape": [0], "data": []},
        ],
    }  # fmt: skip
    frame = decode(run_js(tmp_path, "encode", spec))
    assert (frame.type, frame.step, frame.time) == ("probe", 9, 2.25)
    assert frame.metrics == {"acc": 0.5}
    assert frame.extra == {"name": "predict"}
    np.testing.assert_array_equal(
        frame.arrays["p"].data, np.array([0.125, -2.5, 1e-7], dtype=np.float32)
    )
    np.testing.assert_array_equal(frame.arrays["q"].data, [[0, 128, 255]])
    np.testing.assert_allclose(frame.arrays["q"].values(), [[-1.0, 1 / 255, 1.0]], atol=1e-6)
    np.testing.assert_array_equal(frame.arrays["ids"].data, [[-7], [2147483647]])
    assert frame.arrays["none"].data.shape == (0,)
