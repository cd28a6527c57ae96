"""The transfer lab over protocol v1 against a real `layerwise serve` process: checkpoints are
files under the server's data directory, and a resumed run continues as the straight one."""

from __future__ import annotations

import numpy as np
import pytest

from app.labs.transfer_params import TransferParams
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = TransferParams().model_dump()
SMALL = {"pretrain_steps": 20, "labels": 2, "checkpoint_every": 10}


def test_transfer_checkpoints_and_resumes_exactly(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="transfer") as client:
            hello, _ = await client.ready()
            await client.send("configure", params=SMALL)
            await client.expect("frame")
            straight = await client.step(30)
            await client.send("probe", name="checkpoints", args={})
            listed, _ = await client.expect("probe")
            await client.send(
                "probe", name="resume", args={"name": listed.extra["checkpoints"][1]["name"]}
            )
            resumed, _ = await client.expect("probe")
            again = await client.step(10)
            await client.send("probe", name="resume", args={"name": "../secrets.pt"})
            refused, _ = await client.expect(lambda m: kind(m).startswith("error"))
            return hello, straight, listed, resumed, again, refused

    hello, straight, listed, resumed, again, refused = run(scenario())
    assert hello["params"] == DEFAULTS
    assert hello["meta"]["models"] == ["finetune", "scratch"]
    assert straight.metrics["checkpoints_enabled"] is True
    assert [c["step"] for c in listed.extra["checkpoints"]] == [10, 20, 30]
    saved_under = server.data_dir / "data" / "checkpoints" / "transfer"  # LAYERWISE_DATA_DIR
    files = sorted(p.name for p in saved_under.glob("*.pt"))
    assert files == [c["name"] for c in listed.extra["checkpoints"]]
    assert resumed.step == 20 and resumed.metrics["resumed"].endswith("0000020.pt")
    assert again.step == 30
    assert again.metrics["test_acc"] == straight.metrics["test_acc"]
    assert again.metrics["scratch_test_acc"] == straight.metrics["scratch_test_acc"]
    assert again.metrics["loss"] == straight.metrics["loss"]
    for name in ("kernels/finetune", "kernels/scratch"):
        np.testing.assert_array_equal(again.arrays[name].data, straight.arrays[name].data)
    m = straight.metrics
    for name in ("loss", "train_acc", "test_acc", "scratch_test_acc", "trainable_params",
                 "labels_used"):  # fmt: skip
        assert name in m, name
    assert m["labels_used"] == 10
    assert refused["code"] == "bad_probe"
