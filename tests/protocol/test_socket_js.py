"""static/js/socket.js under node with a stand-in WebSocket: ops sent while the socket opens
wait for it; with no socket, sending is an error event."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOCKET_JS = ROOT / "static" / "js" / "socket.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

SCRIPT = """
import { LabSocket } from "%(socket)s";

class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; this.listeners = {};
    FakeSocket.last = this; }
  addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }
  fire(type, event = {}) { for (const fn of this.listeners[type] ?? []) fn(event); }
  send(data) {
    if (this.readyState !== 1) throw new Error("send before open");
    this.sent.push(data);
  }
  close() { this.readyState = 3; }
}

const out = {};
const socket = new LabSocket("two-moons", {
  location: { protocol: "http:", host: "example.org" }, WebSocketImpl: FakeSocket });
const errors = [];
socket.on("error", (e) => errors.push(e.code));
out.without_socket = socket.play();
out.errors_without_socket = [...errors];

socket.connect();
const ws = FakeSocket.last;
out.while_opening = [socket.play(), socket.step(3)];
out.sent_before_open = ws.sent.length;
ws.readyState = 1;
ws.fire("open");
out.sent_after_open = ws.sent.map((d) => JSON.parse(d));
out.after_open = socket.pause();
out.sent_last = JSON.parse(ws.sent.at(-1));

socket.connect();
const second = FakeSocket.last;
socket.play();
socket.close();
second.readyState = 1;
second.fire("open");
out.sent_after_close = second.sent.length;
out.errors = errors;
console.log(JSON.stringify(out));
"""


def test_ops_sent_while_opening_go_out_in_order_once_open(tmp_path: Path) -> None:
    script = tmp_path / "socket_test.mjs"
    script.write_text(SCRIPT % {"socket": SOCKET_JS.as_uri()})
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["without_socket"] is False
    assert out["errors_without_socket"] == ["disconnected"]
    assert out["while_opening"] == [True, True]
    assert out["sent_before_open"] == 0
    assert out["sent_after_open"] == [{"op": "play"}, {"op": "step", "n": 3}]
    assert out["after_open"] is True and out["sent_last"] == {"op": "pause"}
    assert out["sent_after_close"] == 0  # a closed run's waiting ops are dropped
    assert out["errors"] == ["disconnected"]
