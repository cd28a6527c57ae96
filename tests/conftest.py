"""Shared fixtures: a real server process on loopback and Debian's Chromium for Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A `layerwise serve` process: its base URLs and process handle."""

    url: str
    ws_url: str
    process: subprocess.Popen
    data_dir: Path
    log: IO[bytes]


def start_server(tmp: Path, **env: str) -> Server:
    """Start `python -m app serve` on a free port with LAYERWISE_* overrides; wait for /healthz."""
    port = free_port()
    environment = {
        **os.environ,
        "LAYERWISE_DATA_DIR": str(tmp),
        "LAYERWISE_WORKERS": "2",
        **{f"LAYERWISE_{k.upper()}": v for k, v in env.items()},
    }
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed by stop_server
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise RuntimeError((tmp / "server.log").read_text())
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url, f"ws://127.0.0.1:{port}", process, tmp, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    log.close()
    raise RuntimeError("server did not become ready in 60 s")


def stop_server(server: Server) -> None:
    """Terminate the server process and wait for it."""
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server process shared by the tests of a session."""
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    """Playwright's base URL: the shared server (overrides pytest-playwright's own fixture)."""
    return server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium (Playwright's own download is not available offline)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
