"""The server stays bounded: slow readers, reattached runs, admission, idle runs, lost workers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from app.cli import SEND_BUFFER_BYTES
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server


# -- the server stays bounded and keeps runs --------------------------------------------------


def test_play_slow_reader_gets_latest_frame(server: Server) -> None:
    """A client that stops reading costs the server a frame or so, never a growing queue."""

    async def scenario() -> tuple[list[Frame], int, float]:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # before connect
        host, port = urlsplit(server.url).netloc.split(":")
        sock.connect((host, int(port)))
        sock.setblocking(False)
        params = {"fps": 60, "steps_per_frame": 1, "precision": "float32", "grid_n": 160}
        query = "params=" + quote(json.dumps(params))
        async with open_client(server.ws_url, query=query, sock=sock, max_queue=1) as client:
            _, first = await client.ready()
            await client.send("play")
            await client.expect("status:running")
            await asyncio.sleep(3)  # read nothing while the server plays at 60 fps
            resumed = time.monotonic()
            frames: list[Frame] = []
            while not frames or frames[-1].time < resumed:
                frame, _ = await client.expect("frame")
                frames.append(frame)
            for _ in range(3):
                frame, _ = await client.expect("frame")
                frames.append(frame)
            await client.send("pause")
            await client.expect("status:paused")
            return frames, len(first.arrays["boundary"].data.tobytes()), resumed

    frames, frame_bytes, resumed = run(scenario())
    stale = [f for f in frames if f.time < resumed]
    fresh = [f for f in frames if f.time >= resumed]
    steps = [f.step for f in frames]
    # What waited is bounded by the connection's kernel send buffer (Linux doubles the size
    # asked for) plus a few frames, not by the time unread (3 s at 60 fps is 180 frames).
    # Measured here: 8 frames sat in the buffers (steps 1-8: 5 in the kernel's, 3 in the
    # transport's), then the outbox's slot and, when the 60 fps tick falls just before reading
    # resumes, the frame made in that instant: 9 or 10 in all. So beyond the kernel buffer:
    # 3 + 1 + 1.
    held = 2 * SEND_BUFFER_BYTES // frame_bytes + 5
    assert len(stale) <= held, steps
    # The run went on training meanwhile, and frames that could not be sent were replaced:
    # what arrives skips the many made while the client slept, then goes on from the latest.
    assert steps == sorted(set(steps))
    skipped = steps[-1] - steps[0] + 1 - len(steps)
    assert skipped >= 60, steps
    assert max(np.diff(steps)) >= 30, steps
    assert len(fresh) == 4


def test_requests_unread_past_the_limit_close_the_socket(server: Server) -> None:
    """A client that asks and asks without reading is disconnected, not buffered forever."""

    async def scenario() -> tuple[int, int | None]:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # before connect
        host, port = urlsplit(server.url).netloc.split(":")
        sock.connect((host, int(port)))
        sock.setblocking(False)
        query = "params=" + quote(json.dumps({"hidden": [16] * 6}))  # ~7 kB snapshots
        async with open_client(server.ws_url, query=query, sock=sock, max_queue=1) as client:
            await client.ready()
            for _ in range(600):  # far more than the kernel buffers and the outbox's 256 hold
                await client.send("snapshot")
            # Read nothing until the server has answered them all (about 1 ms each); reading
            # at once would keep its outbox short and the test would prove nothing.
            await asyncio.sleep(5)
            snapshots = 0
            try:
                while True:
                    message = await client.recv()
                    snapshots += kind(message) == "snapshot"
            except ConnectionClosed as closed:
                return snapshots, closed.rcvd.code if closed.rcvd else None

    snapshots, code = run(scenario())
    assert code == 1008
    assert snapshots < 600


def test_reattach_continues_at_same_step(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url) as client:
            hello, _ = await client.ready()
            await client.step(4)
            # While its socket is open, nobody else can take the run over.
            async with open_client(server.ws_url, query=f"run={hello['run']}") as other:
                other_hello, other_frame = await other.ready()
                assert other_hello["run"] != hello["run"]
                assert other_frame.step == 0
        # The server learns of the close a moment after the client: retry for a little while.
        for _ in range(20):
            async with open_client(server.ws_url, query=f"run={hello['run']}") as client:
                again = await client.recv()
                if again["run"] != hello["run"]:
                    await asyncio.sleep(0.1)
                    continue
                frame, skipped = await client.expect("frame")
                status, _ = await client.expect("status:paused")
                following = await client.step(1)
                break
        async with open_client(server.ws_url, query="run=no-such-run") as client:
            fresh, fresh_frame = await client.ready()
        return hello, again, skipped, frame, status, following, fresh, fresh_frame

    hello, again, skipped, frame, status, following, fresh, fresh_frame = run(scenario())
    assert again["type"] == "hello"
    assert again["run"] == hello["run"]
    assert [kind(m) for m in skipped] == ["dataset"]
    assert frame.step == 4
    assert status["run"] == hello["run"]
    assert following.step == 5
    assert fresh["run"] != hello["run"]
    assert fresh_frame.step == 0


# -- servers of their own -----------------------------------------------------------------------


def _wait_until_empty(server: Server) -> None:
    """Wait until the server holds no run (closed runs are kept 1 s on the tight server)."""
    deadline = time.monotonic() + 15
    while httpx.get(server.url + "/healthz", timeout=10).json()["runs"]:
        assert time.monotonic() < deadline, "runs were never released"
        time.sleep(0.1)


def test_release_paused_idle_run(tight_server: Server) -> None:
    _wait_until_empty(tight_server)

    async def scenario() -> tuple[list, dict, int | None]:
        async with open_client(tight_server.ws_url) as client:
            await client.ready()
            await client.send("play")
            playing = await client.quiet(2.5)  # playing is never idle
            await client.send("pause")
            released, _ = await client.expect("status:released", timeout=10)
            with pytest.raises(ConnectionClosed):
                await client.recv()
            return playing, released, client.ws.close_code

    playing, released, code = run(scenario())
    assert "status:released" not in [kind(m) for m in playing]
    assert sum(kind(m) == "frame" for m in playing) >= 3
    assert released["reason"]
    assert code == 1000
    health = httpx.get(tight_server.url + "/healthz", timeout=10).json()
    assert health["runs"] == 0
    assert health["active"] == 0


def test_admit_queue_then_refuse(tight_server: Server) -> None:
    _wait_until_empty(tight_server)

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with open_client(tight_server.ws_url) as first:
            await first.ready()
            await first.send("play")  # a playing run is never released as idle
            second_conn = open_client(tight_server.ws_url)
            second = await second_conn.__aenter__()
            try:
                seen["second"] = await second.kinds(2)
                await second.send("step", n=1)
                seen["not_ready"], _ = await second.expect(lambda m: kind(m).startswith("error"))
                async with open_client(tight_server.ws_url) as third:
                    seen["third"] = await third.kinds(2)
                    with pytest.raises(ConnectionClosed):
                        await third.recv()
                    seen["third_code"] = third.ws.close_code
                await first.close()
                # The first run is kept 1 s for a reload, then its place goes to the second.
                seen["admitted"] = [
                    (await second.expect("dataset", timeout=15))[0],
                    (await second.expect("frame"))[0],
                    (await second.expect("status:paused"))[0],
                ]
                seen["step"] = await second.step(2)
            finally:
                await second_conn.__aexit__(None, None, None)
        return seen

    seen = run(scenario())
    hello, queued = seen["second"]
    assert kind(hello) == "hello"
    assert queued["state"] == "queued"
    assert queued["position"] == 1
    assert seen["not_ready"]["code"] == "not_ready"
    third_hello, busy = seen["third"]
    assert kind(third_hello) == "hello"
    assert busy["code"] == "server_busy"
    assert seen["third_code"] == 1013
    dataset, frame, status = seen["admitted"]
    assert dataset.type == "dataset"
    assert frame.step == 0
    assert status["run"] == hello["run"]
    assert seen["step"].step == 2


def _worker_pids(server: Server) -> list[int]:
    """The server's worker processes (children started by multiprocessing's spawn)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if parent == server.process.pid and b"spawn_main" in command:
            pids.append(int(entry))
    return pids


@pytest.mark.parametrize("playing", [True, False])
def test_kill_worker_gives_worker_lost(tight_server: Server, playing: bool) -> None:
    if not os.path.isdir("/proc/self"):
        pytest.skip("finds the worker processes through /proc")
    _wait_until_empty(tight_server)

    async def scenario() -> tuple[dict, int | None, list]:
        async with open_client(tight_server.ws_url) as client:
            await client.ready()
            if playing:
                await client.send("play")
                await client.expect("frame")
            (pid,) = _worker_pids(tight_server)
            os.kill(pid, signal.SIGKILL)
            if not playing:
                await client.send("step", n=1)
            error, _ = await client.expect(lambda m: kind(m).startswith("error"))
            with pytest.raises(ConnectionClosed):
                while True:
                    await client.recv()
            code = client.ws.close_code
        # The run's place is freed and a fresh worker serves the next run.
        async with open_client(tight_server.ws_url) as client:
            await client.ready()
            following = await client.step(2)
        return error, code, [following.step]

    error, code, steps = run(scenario())
    assert error["code"] == "worker_lost"
    assert code == 1011
    assert steps == [2]
