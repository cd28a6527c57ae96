"""The attention lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import numpy as np
import pytest

from app.labs.attention_params import AttentionParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.labs import attention_reference as ref
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = AttentionParams().model_dump()


def test_connect_attention_sends_meta_dataset_and_frame(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="attention") as client:
            return await client.kinds(4)

    hello, dataset, frame, state = run(scenario())
    assert hello["lab"] == "attention"
    assert hello["params"] == DEFAULTS
    meta = hello["meta"]
    assert meta["length"] == 12 and meta["answer_from"] == 6
    assert meta["tokens"] == ["0", "1", "2", "3", "4", "5", "6", "7", "_"]
    assert meta["weights"] == ["embedding", "layer 1", "layer 2", "head"]

    assert isinstance(dataset, Frame)
    assert dataset.arrays["test/tokens"].data.shape == (256, 12)
    assert dataset.arrays["test/targets"].data.dtype == np.int32

    assert isinstance(frame, Frame)
    arrays = frame.arrays
    for layer in range(2):
        assert arrays[f"attention/{layer}"].data.shape == (2, 12, 12)
        assert arrays[f"scores/{layer}"].data.dtype == np.float32
    assert arrays["head/q"].data.shape == (12, 16)
    assert arrays["head/output"].data.shape == (12, 32)
    assert arrays["softmax/lse"].data.shape == (8,)
    assert arrays["positional_similarity"].data.shape == (12, 12)
    assert frame.metrics["naive_softmax_ok"] is True
    assert frame.metrics["test_seq_acc"] is not None
    assert state["state"] == "paused"


def test_attention_streams_what_the_snapshot_recomputes(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="attention") as client:
            await client.ready()
            await client.send("configure", params={"head_layer": 1, "head": 1, "example": 3})
            chosen, _ = await client.expect("frame")
            frame = await client.step(4)
            await client.send("snapshot")
            snapshot, _ = await client.expect("snapshot")
            await client.send("configure", params={"logit_scale": 1000.0})
            hot, _ = await client.expect("frame")
            await client.send("configure", params={"d_model": 30, "heads": 4})
            refused, _ = await client.expect(lambda m: kind(m).startswith("error"))
            after = await client.step(1)
            return chosen, frame, snapshot, hot, refused, after

    chosen, frame, snapshot, hot, refused, after = run(scenario())
    assert chosen.step == 0  # choosing a head is live: no rebuild
    assert snapshot.step == frame.step == 4
    weights = {name: a.data for name, a in snapshot.arrays.items()}
    params = {**DEFAULTS, "head_layer": 1, "head": 1, "example": 3}
    tokens = frame.arrays["tokens"].data
    expected = ref.forward(weights, params, tokens)
    for layer in range(2):
        streamed = frame.arrays[f"attention/{layer}"].data
        np.testing.assert_allclose(streamed.sum(-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(streamed, expected["weights"][layer], atol=2e-5)
    np.testing.assert_allclose(frame.arrays["head/weights"].data, expected["weights"][1][1],
                               atol=2e-5)  # fmt: skip
    z = hot.arrays["softmax/logits"].data
    assert hot.metrics["max_logit"] == pytest.approx(float(z.max()))
    np.testing.assert_allclose(z, 1000.0 * hot.arrays["logits"].data[0], rtol=1e-6)
    # float32's largest number is 3.4e38: exp overflows where z > log(3.4e38) ≈ 88.72
    overflows = bool((np.exp(z.astype(np.float64)) > np.finfo(np.float32).max).any())
    assert hot.metrics["naive_softmax_ok"] is not overflows
    np.testing.assert_allclose(hot.arrays["softmax/lse"].data, ref.softmax(z.astype(np.float64)),
                               atol=1e-6)  # fmt: skip
    assert hot.metrics["lse_softmax_ok"] is True
    assert refused["code"] == "invalid_params"
    assert {d["param"] for d in refused["detail"]} == {"d_model", "heads"}
    assert after.step == 5
