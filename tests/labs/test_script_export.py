"""Exports of a two-moons run: the standalone script reproduces it, the weights load."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from app.labs.two_moons import TwoMoons
from app.nets.mlp import MLP, MLPConfig
from tests.labs.script_run import run_script

PARAMS = {
    "dataset": "spirals",
    "n_samples": 240,
    "features": ["x", "y", "sinx"],
    "hidden": [6, 4],
    "activation": "tanh",
    "optimizer": "momentum",
    "learning_rate": 0.05,
    "l2": 0.001,
    "batch_size": 10,
    "seed": 12,
}
LINE = re.compile(
    r"step\s+(\d+)\s+train loss ([\d.]+) acc ([\d.]+)\s+test loss ([\d.]+) acc ([\d.]+)"
)


def test_export_script_reproduces_run(tmp_path: Path) -> None:
    params = TwoMoons.validate(PARAMS)
    printed, weights = run_script(TwoMoons.export_script(params), tmp_path, 60, 30, LINE)

    lab = TwoMoons(params)
    for match in printed:
        lab.step(int(match.group(1)) - lab.step_count)
        metrics = lab.frame().metrics
        assert float(match.group(2)) == pytest.approx(metrics["loss"], abs=1e-6)
        assert float(match.group(3)) == pytest.approx(metrics["train_acc"], abs=1e-4)
        assert float(match.group(4)) == pytest.approx(metrics["test_loss"], abs=1e-6)
        assert float(match.group(5)) == pytest.approx(metrics["test_acc"], abs=1e-4)

    saved = torch.load(weights, weights_only=True)
    for name, value in lab.snapshot().items():
        np.testing.assert_array_equal(saved[name].numpy(), value)


def test_export_script_is_standalone_python() -> None:
    source = TwoMoons.export_script(TwoMoons.validate({}))
    compile(source, "script.py", "exec")
    assert "from app" not in source
    assert "import app" not in source
    assert source.startswith("#!/usr/bin/env python3\n")


def test_export_weights_load_into_mlp() -> None:
    lab = TwoMoons(TwoMoons.validate(PARAMS))
    lab.step(8)
    state = torch.load(io.BytesIO(lab.export_weights()), weights_only=True)
    model = MLP(MLPConfig(n_inputs=3, hidden=[6, 4], activation="tanh", n_outputs=1))
    model.load_state_dict(state)
    x = torch.tensor([[0.1, -0.4, np.sin(0.1)], [1.0, 1.0, np.sin(1.0)]], dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_array_equal(
            model.prob_class1(x).numpy(), lab.run.model.prob_class1(x).numpy()
        )
