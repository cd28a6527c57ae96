"""The optimizers lab over protocol v1 against a real `layerwise serve` process."""

from __future__ import annotations

import numpy as np
import pytest

from app.labs.optimizers_params import OptimizersParams
from app.protocol.codec import Frame
from tests.conftest import Server
from tests.live.wsclient import kind, open_client, run

pytestmark = pytest.mark.server
DEFAULTS = OptimizersParams().model_dump()


def test_connect_optimizers_sends_surface_paths_and_metrics(server: Server) -> None:
    async def scenario() -> list:
        async with open_client(server.ws_url, lab="optimizers") as client:
            first = await client.kinds(4)
            trained = await client.step(30)
            return [*first, trained]

    hello, dataset, frame, state, trained = run(scenario())
    assert hello["lab"] == "optimizers"
    assert hello["params"] == DEFAULTS
    assert hello["meta"]["optimizers"] == ["sgd", "momentum", "adam"]
    assert hello["meta"]["minimum"] == [1.0, 1.0]
    assert isinstance(dataset, Frame)
    assert dataset.arrays["surface"].data.shape == (80, 80)
    assert isinstance(frame, Frame)
    assert frame.arrays["path/sgd"].data.shape == (1, 2)
    assert state["state"] == "paused"
    assert trained.step == 30
    for kind_ in ("sgd", "momentum", "adam"):
        path = trained.arrays[f"path/{kind_}"].data
        assert path.shape == (31, 2)
        np.testing.assert_allclose(path[0], [-1.5, 2.0])
        m = trained.metrics
        assert m[f"dist_{kind_}"] == pytest.approx(np.hypot(path[-1, 0] - 1, path[-1, 1] - 1))
        assert isinstance(m[f"value_{kind_}"], float)
        assert isinstance(m[f"net_loss_{kind_}"], float)
    assert trained.arrays["effective_step/adam"].data.shape == (hello["meta"]["net_params"],)
    assert trained.metrics["min_dist"] == min(trained.metrics[f"dist_{k}"] for k in
                                              ("sgd", "momentum", "adam"))  # fmt: skip


def test_optimizers_saddle_and_refusals(server: Server) -> None:
    async def scenario() -> tuple:
        async with open_client(server.ws_url, lab="optimizers") as client:
            await client.ready()
            await client.send("configure", params={"optimizers": ["adam", "adam"]})
            refused, _ = await client.expect("error:invalid_params")
            await client.send("configure", params={"surface": "saddle", "optimizers": ["rmsprop"]})
            rebuilt, _ = await client.expect("frame")
            return refused, rebuilt

    refused, rebuilt = run(scenario())
    assert refused["code"] == "invalid_params"
    assert "optimizers" in refused["message"]
    assert rebuilt.step == 0
    assert rebuilt.metrics["dist_rmsprop"] is None and rebuilt.metrics["min_dist"] is None
    assert rebuilt.metrics["value_rmsprop"] == pytest.approx((1.5**2 - 2.0**2) / 2)
    assert kind(rebuilt) == "frame"
