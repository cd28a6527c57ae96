"""The deep lab's standalone script: it runs away from the repository and reproduces config
A's weights and test metrics step for step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from app.labs.deep import DeepLab

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
    script = tmp_path / "run.py"
    script.write_text(DeepLab.export_script(validated))
    weights = tmp_path / "model.pt"
    result = subprocess.run(
        [sys.executable, str(script), "--steps", "12", "--every", "6", "--weights", str(weights)],
        cwd=tmp_path,  # away from the repository: the script must not need `app`
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = [LINE.search(line) for line in result.stdout.splitlines()]
    assert all(printed), result.stdout
    assert [int(m.group(1)) for m in printed] == [6, 12]

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
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
    finally:
        torch.set_num_threads(before)
