"""The deep lab's standalone script: it runs away from the repository and reproduces config
A's weights and test metrics step for step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from app.labs.deep import DeepLab
from tests.labs.script_run import one_thread, run_script

LINE = re.compile(r"step\s+(\d+)\s+test loss ([\d.]+)\s+test acc ([\d.]+)")


@pytest.mark.parametrize(
    "params",
    [
        {"depth": 5, "width": 12, "norm": "batch", "residual": True, "seed": 3},
        {
            "dataset": "digits",
            "depth": 3,
            "width": 16,
            "norm": "rms",
            "optimizer": "momentum",
            "learning_rate": 0.05,
            "init": "orthogonal",
            "activation": "gelu",
        },
    ],
    ids=["spirals", "digits"],
)
def test_export_script_reproduces_config_a(params: dict, tmp_path: Path) -> None:
    validated = DeepLab.validate({**params, "compare": True})
    source = DeepLab.export_script(validated)
    printed, weights = run_script(source, tmp_path, 12, 6, LINE)

    with one_thread():
        lab = DeepLab(validated)
        for match in printed:
            lab.step(int(match.group(1)) - lab.step_count)
            metrics = lab.frame().metrics
            assert float(match.group(2)) == pytest.approx(metrics["test_loss"], abs=1e-5)
            assert float(match.group(3)) == pytest.approx(metrics["test_acc"], abs=1e-4)
        saved = torch.load(weights, weights_only=True)
        state = lab.trainees["a"].model.state_dict()
        assert saved.keys() == state.keys()
        for name, value in state.items():
            torch.testing.assert_close(saved[name], value, rtol=1e-5, atol=1e-6, msg=name)
