"""The recurrent lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import numpy as np
import pytest

from app.labs.rnn_params import RnnParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = RnnParams().model_dump()


def test_connect_rnn_sends_meta_dataset_and_frame(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="rnn") as client:
            return await client.kinds(4)

    hello, dataset, frame, state = run(scenario())
    assert hello["lab"] == "rnn" and hello["params"] == DEFAULTS
    meta = hello["meta"]
    assert meta["models"] == ["lstm"] and meta["primary"] == "lstm"
    assert meta["gates"] == {"lstm": ["input", "forget", "candidate", "output"]}
    assert meta["channels"] == ["value", "marker"] and meta["seq_len"] == 30
    assert meta["weights"] == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"]

    assert isinstance(dataset, Frame)
    assert dataset.arrays["test/targets"].data.shape == (256,)

    assert isinstance(frame, Frame)
    arrays = frame.arrays
    assert arrays["input"].data.shape == (30, 2)
    assert arrays["grad_time"].data.shape == (1, 30)
    assert arrays["hidden/0"].data.shape == (32, 30) and arrays["hidden/0"].scale is not None
    for gate in meta["gates"]["lstm"]:
        assert arrays[f"gates/{gate}"].data.shape == (32, 30)
    assert arrays["clip_norms"].data.shape == (0, 3)
    assert arrays["grad_norm"].data.shape == (3,)
    metrics = frame.metrics
    assert metrics["batch_loss"] is None and metrics["grad_norm_pre_clip"] is None
    assert metrics["diverged"] is False and metrics["test_mse"] == metrics["test_loss"]
    assert metrics["grad_ratio"] > 0
    assert state["state"] == "paused"


def test_rnn_trains_then_compares_three_cells(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="rnn") as client:
            await client.ready()
            trained = await client.step(6)
            await client.send("configure", params={"compare": True, "seq_len": 12})
            rebuilt, _ = await client.expect("frame")
            await client.send("configure", params={"seq_len": 200, "batch_size": 256})
            refused, _ = await client.expect(lambda m: kind(m).startswith("error"))
            return trained, rebuilt, refused

    trained, rebuilt, refused = run(scenario())
    assert trained.step == 6
    clip = trained.arrays["clip_norms"].data
    assert clip[:, 0].tolist() == [1, 2, 3, 4, 5, 6]
    assert (clip[:, 2] <= 1.0 + 1e-5).all()  # clipped to the default threshold
    assert trained.metrics["grad_norm_post_clip"] == pytest.approx(float(clip[-1, 2]))
    assert rebuilt.step == 0
    for model in ("rnn", "lstm", "gru"):
        assert rebuilt.arrays[f"{model}/grad_time"].data.shape == (1, 12)
        for metric in ("loss", "test_acc", "test_mse"):
            assert f"{model}_{metric}" in rebuilt.metrics
    assert "lstm/gates/forget" in rebuilt.arrays and "rnn/gates/forget" not in rebuilt.arrays
    assert np.isfinite(rebuilt.arrays["gru/grad_time"].data).all()
    assert refused["code"] == "over_budget"
    assert "seq_len" in refused["detail"]["params"]
