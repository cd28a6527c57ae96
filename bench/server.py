"""Start and stop a real `python -m app serve` process for the benchmarks."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import machine

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running server: its URLs, process, data dir and worker processes."""

    url: str
    ws_url: str
    process: subprocess.Popen
    data_dir: Path
    env: dict[str, str]

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def worker_pids(self) -> list[int]:
        """The server's model worker processes (not multiprocessing's resource tracker)."""
        pids = []
        for pid in machine.children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                pids.append(pid)
        return pids

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(env: dict[str, str], timeout_s: float = 60.0) -> Server:
    """Serve on a free loopback port with its own temp data dir; wait until /healthz is 200.

    ``env`` holds LAYERWISE_* overrides given without the prefix (``{"workers": "2"}``).
    """
    data_dir = Path(tempfile.mkdtemp(prefix="layerwise-bench-"))
    port = free_port()
    overrides = {f"LAYERWISE_{k.upper()}": str(v) for k, v in env.items()}
    environment = {**os.environ, **overrides, "LAYERWISE_DATA_DIR": str(data_dir / "data")}
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed once the child has it
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    finally:
        log.close()
    url = f"http://127.0.0.1:{port}"
    server = Server(url, f"ws://127.0.0.1:{port}", process, data_dir, overrides)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            shutil.rmtree(data_dir, ignore_errors=True)
            raise RuntimeError(f"the server exited with {process.returncode}:\n{tail}")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url + "/healthz", timeout=1) as response,
        ):
            if response.status == 200:
                return server
        time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"the server did not become ready in {timeout_s:.0f} s")


def health(server: Server) -> dict:
    """The server's /healthz (active, queued and detached runs)."""
    with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
        return json.loads(response.read())


def stop(server: Server) -> None:
    """Terminate the server (its lifespan stops the workers), wait, and remove its data dir."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    shutil.rmtree(server.data_dir, ignore_errors=True)
