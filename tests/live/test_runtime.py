"""Run.observe keeps the newest frame; Run.latest reads it back with the params then in force."""

from __future__ import annotations

import numpy as np

from app.labs.two_moons import TwoMoons
from app.live.runtime import Run
from app.protocol.codec import Array, encode


def test_latest_reads_the_newest_frame_with_its_params() -> None:
    run = Run(id="r", lab=TwoMoons, params=TwoMoons.Params(learning_rate=0.5))
    assert run.latest is None
    points = [Array("probs", np.zeros((2, 3), np.float32))]
    run.observe(encode("frame", 7, 1.0, points, {"loss": 0.25}))
    run.observe(encode("frame", 12, 2.0, points, {"loss": 0.125, "accuracy": 0.75}))
    run.params = TwoMoons.Params(learning_rate=0.1)  # changed after the frame passed
    assert run.latest == {
        "lab": "two-moons",
        "params": {**TwoMoons.Params().model_dump(mode="json"), "learning_rate": 0.5},
        "step": 12,
        "metrics": {"loss": 0.125, "accuracy": 0.75},
    }
