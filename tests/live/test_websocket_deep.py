"""The deep lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pytest

from app.labs.deep_params import DeepParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = DeepParams().model_dump()
SMALL = quote(json.dumps({"depth": 4, "width": 16}))
METRICS = (
    "loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "act_std_first",
    "act_std_last",
    "act_std_ratio",
    "grad_norm_first",
    "grad_norm_last",
    "grad_ratio",
)


def test_connect_deep_sends_meta_and_a_frame_of_every_layer(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="deep") as client:
            return await client.kinds(4)

    hello, dataset, frame, state = run(scenario())
    assert hello["lab"] == "deep" and hello["params"] == DEFAULTS
    a = hello["meta"]["configs"]["a"]
    assert (a["depth"], a["width"], a["n_inputs"], a["n_classes"]) == (16, 64, 2, 2)
    assert isinstance(dataset, Frame) and dataset.metrics == {"n_train": 500, "n_test": 500}
    assert isinstance(frame, Frame) and frame.step == 0
    for name in METRICS:
        assert isinstance(frame.metrics[name], float), name
    arrays = frame.arrays
    assert arrays["act_std"].data.shape == (16,) and arrays["grad_norm"].data.shape == (17,)
    assert arrays["jacobian/layers"].data.shape == (16, 64)
    assert arrays["jacobian/product"].data.shape == (2,)
    assert state["state"] == "paused"


def test_compare_mode_streams_b_beside_a(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="deep", query=f"params={SMALL}") as client:
            await client.ready()
            await client.send("configure", params={"compare": True, "b": {"depth": 6}})
            rebuilt, _ = await client.expect("frame")
            stepped = await client.step(3)
            return rebuilt, stepped

    rebuilt, stepped = run(scenario())
    assert rebuilt.step == 0 and stepped.step == 3
    for name in METRICS:
        assert isinstance(stepped.metrics["b_" + name], float), name
    assert stepped.arrays["act_std"].data.shape == (4,)
    assert stepped.arrays["b/act_std"].data.shape == (6,)
    assert np.isfinite(stepped.arrays["b/jacobian/product"].data).all()


def test_over_budget_configure_is_refused_and_the_run_goes_on(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="deep", query=f"params={SMALL}") as client:
            await client.ready()
            big = {"depth": 64, "width": 256, "fps": 30, "steps_per_frame": 100}
            await client.send("configure", params=big)
            error, _ = await client.expect(lambda m: kind(m).startswith("error"))
            await client.send("configure", params={"width": 3})
            invalid, _ = await client.expect(lambda m: kind(m).startswith("error"))
            frame = await client.step(2)
            return error, invalid, frame

    error, invalid, frame = run(scenario())
    assert error["code"] == "over_budget" and "depth" in error["detail"]["params"]
    assert invalid["code"] == "invalid_params" and invalid["detail"][0]["param"] == "width"
    assert frame.step == 2 and frame.arrays["act_std"].data.shape == (4,)


def test_sweep_reports_progress_in_frames(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="deep", query=f"params={SMALL}") as client:
            await client.ready()
            await client.send("configure", params={"sweep": True})
            first, _ = await client.expect("frame")
            return [first, await client.step(1), await client.step(1)]

    frames = run(scenario())
    assert [f.metrics["sweep_total"] for f in frames] == [12, 12, 12]
    progress = [f.metrics["sweep_progress"] for f in frames]
    assert progress[0] == 0 and progress[0] < progress[1] < progress[2]
    assert frames[-1].arrays["sweep/results"].data.shape == (12, 6)
