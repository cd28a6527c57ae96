"""The regularization lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import numpy as np
import pytest

from app.labs.regularization_params import RegularizationParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = RegularizationParams().model_dump()


def test_regularization_streams_history_and_stops_early(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="regularization") as client:
            hello, first = await client.ready()
            trained = await client.step(40)
            await client.send(
                "configure",
                params={"early_stopping": True, "patience": 1, "train_size": 40,
                        "learning_rate": 0.02},
            )  # fmt: skip
            rebuilt, _ = await client.expect("frame")
            stopped = await client.step(200)
            return hello, first, trained, rebuilt, stopped

    hello, first, trained, rebuilt, stopped = run(scenario())
    assert hello["params"] == DEFAULTS
    assert hello["meta"]["eval_every"] == 10 and hello["meta"]["n_val"] == 200
    assert isinstance(first, Frame) and first.step == 0
    assert first.arrays["history/step"].data.tolist() == [0]
    assert trained.arrays["history/step"].data.tolist() == [0, 10, 20, 30, 40]
    m = trained.metrics
    for name in ("loss", "train_acc", "test_loss", "test_acc", "gap", "best_test_acc",
                 "best_step", "stopped"):  # fmt: skip
        assert name in m, name
    assert m["gap"] == pytest.approx(m["train_acc"] - m["test_acc"])
    assert m["stopped"] is False
    assert trained.arrays["augmented"].data.shape == (8, 8, 8)
    assert rebuilt.step == 0
    assert stopped.metrics["stopped"] is True
    assert stopped.step < 200
    assert stopped.metrics["test_acc"] == stopped.metrics["best_test_acc"]
    assert np.all(np.diff(stopped.arrays["history/step"].data) == 10)


def test_regularization_refuses_bad_dropout(server: Server) -> None:
    async def scenario() -> dict:
        async with open_client(server.ws_url, lab="regularization") as client:
            await client.ready()
            await client.send("configure", params={"dropout": 2})
            error, _ = await client.expect(lambda msg: kind(msg).startswith("error"))
            return error

    error = run(scenario())
    assert error["code"] == "invalid_params"
    assert "dropout" in error["message"]
