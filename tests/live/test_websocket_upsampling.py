"""The upsampling lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import numpy as np
import pytest

from app.labs.upsampling_params import UpsamplingParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import open_client, run

pytestmark = pytest.mark.server
DEFAULTS = UpsamplingParams().model_dump()


def test_connect_upsampling_sends_meta_dataset_and_frame(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="upsampling") as client:
            return await client.kinds(4)

    hello, dataset, frame, state = run(scenario())
    assert hello["lab"] == "upsampling"
    assert hello["params"] == DEFAULTS
    meta = hello["meta"]
    assert meta["input"] == [1, 16, 16] and meta["code"] == [4, 4, 4]
    # C=8, B=4, k=3: 4·8·9 + 8 and 8·9 + 1 parameters in the two transposed convolutions
    assert [(d["out_shape"], d["params"]) for d in meta["decoder"]] == [
        ([8, 8, 8], 296),
        ([1, 16, 16], 73),
    ]

    assert isinstance(dataset, Frame)
    assert dataset.arrays["test/images"].data.shape == (360, 8, 8)
    assert dataset.metrics == {"n_train": 1000, "n_test": 360}

    assert isinstance(frame, Frame)
    arrays = frame.arrays
    for name in ("input", "output", "checkerboard", "overlap"):
        assert arrays[name].data.shape == (16, 16), name
        assert arrays[name].data.dtype == np.float32, name
    assert arrays["feature_maps/0"].data.shape == (8, 8, 8)
    assert arrays["weight_norm"].data.shape == (len(meta["weights"]),)
    assert arrays["grad_norm"].data.shape == (len(meta["weights"]),)
    assert sorted(np.unique(arrays["overlap"].data).tolist()) == [1.0, 2.0, 4.0]
    assert frame.metrics["batch_loss"] is None
    assert state["state"] == "paused"


def test_upsampling_trains_and_switches_to_resize_conv(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="upsampling") as client:
            _, first = await client.ready()
            trained = await client.step(20)
            await client.send("configure", params={"upsample": "resize_conv"})
            rebuilt, _ = await client.expect("frame")
            return first, trained, rebuilt

    first, trained, rebuilt = run(scenario())
    assert trained.step == 20
    assert trained.metrics["batch_loss"] > 0
    assert not np.array_equal(first.arrays["output"].data, trained.arrays["output"].data)
    assert rebuilt.step == 0
    assert np.unique(rebuilt.arrays["overlap"].data).tolist() == [9.0]
