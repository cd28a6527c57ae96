"""Protocol v1 against a real `layerwise serve` process, through a real websocket client."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import numpy as np
import pytest
import torch
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.labs.two_moons import TwoMoonsParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.labs import reference as ref
from tests.live.wsclient import Client, kind, open_client

pytestmark = pytest.mark.server
DEFAULTS = TwoMoonsParams().model_dump()


def run(scenario: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
    """Run one async scenario to the end, never longer than ``timeout``."""
    return asyncio.run(asyncio.wait_for(scenario, timeout))


# -- a run's life ----------------------------------------------------------------------------


def test_connect_sends_hello_dataset_frame_status(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url) as client:
            return await client.kinds(4)

    hello, dataset, frame, state = run(scenario())
    assert hello["type"] == "hello"
    assert hello["protocol"] == 1
    assert hello["lab"] == "two-moons"
    assert isinstance(hello["run"], str)
    assert len(hello["run"]) >= 16
    assert hello["params"] == DEFAULTS
    assert set(DEFAULTS) <= set(hello["schema"]["properties"])
    assert hello["grid"] == {"x": [-2.0, 2.0, 100], "y": [-2.0, 2.0, 100]}
    assert hello["meta"]["layers"] == [2, 4, 4, 1]

    assert isinstance(dataset, Frame)
    assert dataset.type == "dataset"
    assert dataset.arrays["train/x"].data.shape == (200, 2)
    assert dataset.arrays["train/y"].data.dtype == np.int32
    assert dataset.metrics == {"n_train": 200, "n_test": 200}

    assert isinstance(frame, Frame)
    assert frame.type == "frame"
    assert frame.step == 0
    assert frame.arrays["boundary"].data.shape == (100, 100)
    assert frame.arrays["boundary"].scale is not None
    assert frame.arrays["neurons/1"].data.shape == (4, 32, 32)
    assert frame.metrics["batch_loss"] is None
    assert 0 <= frame.metrics["train_acc"] <= 1

    assert state == {"type": "status", "state": "paused", "run": hello["run"], "params": DEFAULTS}


def test_play_streams_frames_at_fps(server: Server) -> None:
    async def scenario() -> list[Frame]:
        query = "params=" + quote(json.dumps({"fps": 10, "steps_per_frame": 3}))
        async with open_client(server.ws_url, query=query) as client:
            await client.ready()
            await client.send("play")
            await client.expect("status:running")
            frames = []
            while len(frames) < 6:
                frame, skipped = await client.expect("frame", timeout=5)
                assert skipped == []
                frames.append(frame)
            await client.send("pause")
            await client.expect("status:paused")
            return frames

    frames = run(scenario())
    steps = [f.step for f in frames]
    assert steps == sorted(set(steps))
    assert all(step % 3 == 0 for step in steps)
    # At most fps frames a second: frames are made no closer than ~1/fps apart on average.
    made = [f.time for f in frames]
    assert (made[-1] - made[0]) / (len(made) - 1) >= 0.7 / 10


def test_pause_stops_frames(server: Server) -> None:
    async def scenario() -> tuple[list, list]:
        async with open_client(server.ws_url) as client:
            await client.ready()
            await client.send("play")
            await client.expect("frame")
            await client.send("pause")
            _status, before = await client.expect("status:paused")
            after = await client.quiet(0.6)
            return before, after

    before, after = run(scenario())
    assert all(kind(m) == "frame" for m in before)
    assert after == []


def test_step_while_paused_advances_exactly(server: Server) -> None:
    async def scenario() -> list[int]:
        async with open_client(server.ws_url) as client:
            await client.ready()
            steps = [(await client.step(1)).step, (await client.step(1)).step]
            steps.append((await client.step(7)).step)
            return steps

    assert run(scenario()) == [1, 2, 9]


def test_step_while_running_refused(server: Server) -> None:
    async def scenario() -> dict:
        async with open_client(server.ws_url) as client:
            await client.ready()
            await client.send("play")
            await client.expect("status:running")
            await client.send("step", n=1)
            error, _ = await client.expect(lambda m: kind(m).startswith("error"))
            await client.send("pause")
            await client.expect("status:paused")
            return error

    error = run(scenario())
    assert error["code"] == "running"
    assert "pause" in error["message"]


def test_snapshot_matches_latest_frame(server: Server) -> None:
    async def scenario() -> tuple[Frame, Frame, Frame]:
        async with open_client(server.ws_url) as client:
            await client.ready()
            frame = await client.step(6)
            await client.send("snapshot")
            snapshot, _ = await client.expect("snapshot")
            await client.send("probe", name="predict", args={"points": [[0.5, 0.5], [-1, 1]]})
            probe, _ = await client.expect("probe")
            return frame, snapshot, probe

    frame, snapshot, probe = run(scenario())
    assert snapshot.step == frame.step == 6
    shapes = {name: a.data.shape for name, a in snapshot.arrays.items()}
    assert shapes == {
        "hidden.0.weight": (4, 2),
        "hidden.0.bias": (4,),
        "hidden.1.weight": (4, 4),
        "hidden.1.bias": (4,),
        "out.weight": (1, 4),
        "out.bias": (1,),
    }
    assert all(a.data.dtype == np.float32 for a in snapshot.arrays.values())
    state = {name: a.data for name, a in snapshot.arrays.items()}
    for k, name in enumerate(["hidden.0.weight", "hidden.1.weight", "out.weight"]):
        np.testing.assert_array_equal(frame.arrays[f"weights/{k}"].data, state[name])
    # Anyone can recompute what was streamed from the snapshot.
    _, logits = ref.forward(state, ref.feature_table(ref.grid(-2, 2, 100), ["x", "y"]), "relu")
    expected = ref.prob_class1(logits).reshape(100, 100)
    lo, hi = frame.arrays["boundary"].scale
    assert np.abs(frame.arrays["boundary"].values() - expected).max() <= (hi - lo) / 510 + 1e-6
    assert probe.extra["name"] == "predict"
    assert probe.step == 6
    want = ref.predict(state, np.array([[0.5, 0.5], [-1, 1]]), ["x", "y"], "relu")
    np.testing.assert_allclose(probe.arrays["p"].data, want, atol=2e-6)


def test_reset_with_seed_restarts_at_step_zero(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url) as client:
            _, _first = await client.ready()
            dataset = client.seen[1]
            await client.step(4)
            await client.send("reset", seed=99)
            new_dataset, _ = await client.expect("dataset")
            frame, _ = await client.expect("frame")
            status, _ = await client.expect("status:paused")
            return dataset, new_dataset, frame, status

    dataset, new_dataset, frame, status = run(scenario())
    assert frame.step == 0
    assert status["params"]["seed"] == 99
    assert not np.array_equal(dataset.arrays["train/x"].data, new_dataset.arrays["train/x"].data)


def test_configure_live_param_keeps_step(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url) as client:
            await client.ready()
            await client.step(5)
            await client.send("configure", params={"learning_rate": 0.05, "precision": "float32"})
            frame, skipped = await client.expect("frame")
            status, _ = await client.expect("status:paused")
            return frame, skipped, status

    frame, skipped, status = run(scenario())
    assert skipped == []  # no new dataset
    assert frame.step == 5
    assert frame.arrays["boundary"].data.dtype == np.float32
    assert status["params"]["learning_rate"] == 0.05
    assert status["params"]["hidden"] == [4, 4]


def test_configure_rebuild_param_restarts(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url) as client:
            await client.ready()
            await client.step(5)
            await client.send("configure", params={"hidden": [3], "n_samples": 100})
            dataset, _ = await client.expect("dataset")
            frame, _ = await client.expect("frame")
            status, _ = await client.expect("status:paused")
            return dataset, frame, status

    dataset, frame, status = run(scenario())
    assert frame.step == 0
    assert dataset.metrics == {"n_train": 50, "n_test": 50}
    assert frame.arrays["weights/0"].data.shape == (3, 2)
    assert "neurons/1" not in frame.arrays
    assert status["params"]["hidden"] == [3]


def test_params_query_starts_run(server: Server) -> None:
    async def scenario() -> tuple:
        good = "params=" + quote(json.dumps({"hidden": [2], "seed": 5}))
        async with open_client(server.ws_url, query=good) as client:
            hello, frame = await client.ready()
        bad = "params=" + quote(json.dumps({"hidden": "two"}))
        async with open_client(server.ws_url, query=bad) as client:
            messages = await client.kinds(2)
        return hello, frame, messages

    hello, frame, (bad_hello, error) = run(scenario())
    assert hello["params"]["hidden"] == [2]
    assert frame.arrays["weights/0"].data.shape == (2, 2)
    assert bad_hello["params"] == DEFAULTS
    assert error["code"] == "invalid_params"


@pytest.mark.parametrize(
    "query",
    [
        "params=" + quote("{not json"),
        "params=" + quote("[1, 2]"),
        "params=" + quote(json.dumps({"fps": 60, "steps_per_frame": 200})),
        "params=" + "%5B" * 1300 + "%5D" * 1300,  # nested deeper than Python's json recurses
    ],
)
def test_params_query_refused_uses_defaults(server: Server, query: str) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, query=query) as client:
            messages = await client.kinds(2)
            await client.expect("status:paused")
            messages.append(await client.step(1))
            return messages

    hello, error, frame = run(scenario())
    assert hello["params"] == DEFAULTS
    assert error["code"] in {"invalid_params", "over_budget"}
    assert error["message"]
    assert frame.step == 1


# -- bad input: an error, and the run (and everyone else's) goes on ----------------------------


async def _refused_then_goes_on(
    server: Server, send_bad: Callable[[Client], Awaitable[None]]
) -> dict:
    """Send something bad on one socket; return the error after checking nothing broke."""
    async with open_client(server.ws_url) as client, open_client(server.ws_url) as other:
        hello, _ = await client.ready()
        await other.ready()
        await client.step(2)
        await send_bad(client)
        error, skipped = await client.expect(lambda m: kind(m).startswith("error"))
        assert [kind(m) for m in skipped] == []
        assert isinstance(error["message"], str)
        assert error["message"]
        assert (await client.step(1)).step == 3
        await client.send("play")
        await client.expect("frame")
        await client.send("pause")
        status, _ = await client.expect("status:paused")
        assert status["params"] == hello["params"]  # nothing refused was applied
        assert (await other.step(2)).step == 2
        return error


def test_refuse_not_json(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send("{op: play")))
    assert error["code"] == "bad_json"
    assert "JSON" in error["message"]


def test_refuse_unknown_op(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.send("rewind")))
    assert error["code"] == "unknown_op"
    assert "rewind" in error["message"]
    assert error["detail"] == {"op": "rewind"}


def test_refuse_param_wrong_type(server: Server) -> None:
    error = run(
        _refused_then_goes_on(server, lambda c: c.send("configure", params={"hidden": "4,4"}))
    )
    assert error["code"] == "invalid_params"
    assert "hidden" in error["message"]
    assert [d["param"] for d in error["detail"]] == ["hidden"]


def test_refuse_param_out_of_range(server: Server) -> None:
    error = run(
        _refused_then_goes_on(server, lambda c: c.send("configure", params={"noise": 0.75}))
    )
    assert error["code"] == "invalid_params"
    assert "noise" in error["message"]
    assert [d["param"] for d in error["detail"]] == ["noise"]


def test_refuse_over_budget(server: Server) -> None:
    error = run(
        _refused_then_goes_on(
            server, lambda c: c.send("configure", params={"fps": 60, "steps_per_frame": 200})
        )
    )
    assert error["code"] == "over_budget"
    assert "steps/s" in error["message"]
    assert error["detail"]["steps_per_s"] == 12_000


def test_refuse_message_too_large(server: Server) -> None:
    big = json.dumps({"op": "probe", "name": "predict", "args": {"pad": "x" * (64 * 1024)}})
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send(big)))
    assert error["code"] == "message_too_large"
    assert "65536" in error["message"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"op": "reset", "seed": NaN}', "bad_json"),
        ('{"op": "step", "n": 1e400}', "bad_message"),  # parses as inf, echoed in detail
        ("[" * 20_000 + "]" * 20_000, "bad_json"),
    ],
)
def test_refuse_hostile_json(server: Server, text: str, code: str) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send(text)))
    assert error["code"] == code


def test_refuse_binary_message(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.ws.send(b'{"op": "play"}')))
    assert error["code"] == "bad_message"


def test_refuse_bad_probe(server: Server) -> None:
    error = run(_refused_then_goes_on(server, lambda c: c.send("probe", name="predict", args={})))
    assert error["code"] == "bad_probe"
    error = run(_refused_then_goes_on(server, lambda c: c.send("probe", name="x-ray")))
    assert error["code"] == "unknown_probe"


# -- the handshake -----------------------------------------------------------------------------


def test_refuse_foreign_origin(server: Server) -> None:
    async def scenario() -> InvalidStatus:
        with pytest.raises(InvalidStatus) as caught:
            async with open_client(server.ws_url, origin="http://evil.example"):
                pass
        return caught.value

    refused = run(scenario())
    assert refused.response.status_code == 403


def test_accept_same_host_origin(server: Server) -> None:
    async def scenario() -> dict:
        origin = "http://" + urlsplit(server.url).netloc
        async with open_client(server.ws_url, origin=origin) as client:
            return await client.recv()

    assert run(scenario())["type"] == "hello"


def test_refuse_unknown_lab(server: Server) -> None:
    async def scenario() -> tuple[dict, int | None]:
        async with open_client(server.ws_url, lab="three-moons") as client:
            message = await client.recv()
            with pytest.raises(ConnectionClosed):
                await client.recv()
            return message, client.ws.close_code

    message, code = run(scenario())
    assert message["code"] == "unknown_lab"
    assert "three-moons" in message["message"]
    assert code == 1008


# -- the server stays bounded and keeps runs --------------------------------------------------


def _kernel_send_buffer_max() -> int:
    """The most a TCP socket's kernel send buffer may grow to (Linux), else 4 MiB."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            return int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 << 20


def test_slow_reader_gets_latest_frame(server: Server) -> None:
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
    # What waited is bounded by the operating system's socket buffers plus a frame or two
    # (the outbox's latest-frame slot and the transport's buffer), not by the time not read.
    held = _kernel_send_buffer_max() // frame_bytes + 4
    assert len(stale) <= held, steps
    # The run went on training meanwhile, and frames that could not be sent were replaced:
    # what arrives skips the many made while the client slept, then goes on from the latest.
    assert steps == sorted(set(steps))
    skipped = steps[-1] - steps[0] + 1 - len(steps)
    assert skipped >= 60, steps
    assert max(np.diff(steps)) >= 30, steps
    assert len(fresh) == 4


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


# -- HTTP ---------------------------------------------------------------------------------------


def test_healthz_ok(server: Server) -> None:
    response = httpx.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert {"active", "queued", "runs", "detached"} <= set(body)


def test_api_labs_lists_two_moons(server: Server) -> None:
    response = httpx.get(server.url + "/api/labs", timeout=10)
    assert response.status_code == 200
    labs = {lab["id"]: lab for lab in response.json()}
    lab = labs["two-moons"]
    schema = lab["params"]
    assert schema["type"] == "object"
    assert set(schema["properties"]) == set(DEFAULTS)
    assert schema["properties"]["noise"]["maximum"] == 0.5
    assert lab["defaults"] == DEFAULTS
    assert httpx.get(server.url + "/api/labs/two-moons", timeout=10).json() == lab
    assert httpx.get(server.url + "/api/labs/nope", timeout=10).status_code == 404


def test_export_weights_and_script(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url) as client:
            hello, _ = await client.ready()
            await client.step(3)
            await client.send("snapshot")
            snapshot, _ = await client.expect("snapshot")
            async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
                weights = await http.get(f"/api/runs/{hello['run']}/weights.pt")
                script = await http.get(f"/api/runs/{hello['run']}/script.py")
                missing = await http.get("/api/runs/nope/weights.pt")
            return snapshot, weights, script, missing

    snapshot, weights, script, missing = run(scenario())
    assert weights.status_code == 200
    assert "attachment" in weights.headers["content-disposition"]
    state = torch.load(io.BytesIO(weights.content), weights_only=True)
    assert set(state) == set(snapshot.arrays)
    for name, value in state.items():
        np.testing.assert_array_equal(value.numpy(), snapshot.arrays[name].data)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/x-python")
    compile(script.text, "layerwise-two-moons.py", "exec")
    assert missing.status_code == 404


# -- servers of their own -----------------------------------------------------------------------


def _log(server: Server) -> str:
    return (server.data_dir / "server.log").read_text(errors="replace")


def _wait_until_empty(server: Server) -> None:
    """Wait until the server holds no run (closed runs are kept 1 s on the tight server)."""
    deadline = time.monotonic() + 15
    while httpx.get(server.url + "/healthz", timeout=10).json()["runs"]:
        assert time.monotonic() < deadline, "runs were never released"
        time.sleep(0.1)


def test_paused_idle_run_released(tight_server: Server) -> None:
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
    assert "Traceback" not in _log(tight_server)


def test_admission_queues_then_refuses(tight_server: Server) -> None:
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
    assert "Traceback" not in _log(tight_server)


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
def test_killed_worker_gives_worker_lost(tight_server: Server, playing: bool) -> None:
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


def test_server_log_has_no_traceback(server: Server) -> None:
    """Nothing the tests above sent made the shared server log an unhandled exception."""
    assert "Traceback" not in _log(server)
