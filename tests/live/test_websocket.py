"""Protocol v1 against a real `layerwise serve` process: a run's life and the handshake."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.labs.two_moons import TwoMoonsParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.labs import reference as ref
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = TwoMoonsParams().model_dump()


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

    assert state["type"] == "status"
    assert state["state"] == "paused"
    assert state["run"] == hello["run"]
    assert state["params"] == DEFAULTS


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


def test_connect_with_params_query(server: Server) -> None:
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
def test_connect_bad_params_query_uses_defaults(server: Server, query: str) -> None:
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
