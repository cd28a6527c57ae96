"""The cnn lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from app.labs.cnn_params import CnnParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = CnnParams().model_dump()


def test_connect_cnn_sends_meta_dataset_and_frame(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="cnn") as client:
            return await client.kinds(4)

    hello, dataset, frame, state = run(scenario())
    assert hello["lab"] == "cnn"
    assert hello["params"] == DEFAULTS
    meta = hello["meta"]
    assert meta["input"] == [1, 16, 16]
    assert [layer["rf"]["size"] for layer in meta["layers"]] == [3, 4, 8, 10]
    assert meta["dense"]["card"]["dense"] == 307_200
    assert meta["dense"]["card"]["conv"] == 1_728

    assert isinstance(dataset, Frame)
    assert dataset.arrays["test/images"].data.shape == (360, 8, 8)
    assert dataset.arrays["test/images"].scale is not None
    assert dataset.arrays["test/labels"].data.dtype == np.int32
    assert dataset.metrics == {"n_train": 1000, "n_test": 360}

    assert isinstance(frame, Frame)
    arrays = frame.arrays
    assert arrays["input"].data.shape == (16, 16)
    assert arrays["probs"].data.shape == (10,)
    for index, layer in enumerate(meta["layers"]):
        maps = arrays[f"feature_maps/{index}"]
        assert list(maps.data.shape) == layer["out_shape"]
        assert maps.data.dtype == np.uint8
    assert arrays["kernels"].data.shape == (8, 1, 3, 3)
    assert arrays["confusion"].data.shape == (10, 10)
    assert arrays["confusion"].data.sum() == 360
    assert arrays["weight_norm"].data.shape == (len(meta["weights"]),)
    assert arrays["grad_norm"].data.shape == (len(meta["weights"]),)
    assert frame.metrics["batch_loss"] is None
    assert frame.metrics["label"] in range(10)
    assert state["state"] == "paused"


def test_cnn_probes_answer_and_bad_probe_goes_on(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="cnn") as client:
            hello, _ = await client.ready()
            await client.step(20)
            await client.send("probe", name="receptive_field", args={"layer": 3, "channel": 0})
            error, _ = await client.expect(lambda m: kind(m).startswith("error"))
            args = {"layer": 2, "channel": 5, "y": 3, "x": 4}
            await client.send("probe", name="receptive_field", args=args)
            field, _ = await client.expect("probe")
            await client.send("probe", name="predict", args={"image": [0.0] * 32 + [1.0] * 32})
            predict, _ = await client.expect("probe")
            frame = await client.step(1)
            async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
                script = await http.get(f"/api/runs/{hello['run']}/script.py")
                weights = await http.get(f"/api/runs/{hello['run']}/weights.pt")
            return error, field, predict, frame, script, weights

    error, field, predict, frame, script, weights = run(scenario())
    assert error["code"] == "bad_probe"
    assert field.extra["name"] == "receptive_field"
    assert field.arrays["erf"].data.shape == (16, 16)
    # the default stack's third layer: size 8, jump 2, start 0.5; unit (3, 4) sees 3 … 10, 5 … 12
    assert field.extra["box"] == [3, 5, 10, 12]
    assert [f["size"] for f in field.extra["rf"]] == [3, 4, 8]
    erf = field.arrays["erf"].data
    assert erf[:3].max() == 0 and erf[11:].max() == 0
    assert predict.arrays["probs"].data.shape == (10,)
    assert predict.arrays["probs"].data.sum() == pytest.approx(1, abs=1e-5)
    assert frame.step == 21
    assert 400 <= script.status_code < 500
    assert weights.status_code == 200


def test_cnn_refuses_a_stack_that_shrinks_below_one_pixel(server: Server) -> None:
    layer = {"kind": "conv", "kernel": 7, "stride": 3, "padding": 0, "dilation": 1, "channels": 4}

    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="cnn") as client:
            await client.ready()
            await client.send("configure", params={"layers": [layer] * 3})
            error, _ = await client.expect(lambda m: kind(m).startswith("error"))
            frame = await client.step(1)
            return error, frame

    error, frame = run(scenario())
    assert error["code"] == "invalid_params"
    assert [d["param"] for d in error["detail"]] == ["layers.1"]
    assert frame.step == 1
