"""The attention lab's standalone script: it runs away from the repository and reproduces the
lab's weights and test metrics step for step."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from app.labs.attention import AttentionLab
from tests.labs.script_run import one_thread, run_script

PARAMS = {
    "task": "sort",
    "seq_len": 5,
    "vocab": 6,
    "layers": 1,
    "heads": 2,
    "d_model": 16,
    "mlp": 24,
    "pos_encoding": "learned",
    "causal": True,
    "norm": "post",
    "optimizer": "momentum",
    "learning_rate": 0.05,
    "batch_size": 16,
    "seed": 7,
}
LINE = re.compile(r"step\s+(\d+)\s+test loss ([\d.]+)\s+token acc ([\d.]+)\s+sequence acc ([\d.]+)")


def test_export_script_reproduces_the_run(tmp_path: Path) -> None:
    params = AttentionLab.validate(PARAMS)
    printed, weights = run_script(AttentionLab.export_script(params), tmp_path, 20, 10, LINE)

    with one_thread():
        lab = AttentionLab(params)
        for match in printed:
            lab.step(int(match.group(1)) - lab.step_count)
            metrics = lab.frame().metrics
            assert float(match.group(2)) == pytest.approx(metrics["test_loss"], abs=1e-5)
            assert float(match.group(3)) == pytest.approx(metrics["test_acc"], abs=1e-4)
            assert float(match.group(4)) == pytest.approx(metrics["test_seq_acc"], abs=1e-4)
    saved = torch.load(weights, weights_only=True)
    snapshot = lab.snapshot()
    assert set(saved) == set(snapshot)
    for name, value in snapshot.items():
        np.testing.assert_allclose(saved[name].numpy(), value, rtol=1e-5, atol=1e-6)


def test_export_script_is_standalone_python() -> None:
    source = AttentionLab.export_script(AttentionLab.validate({}))
    compile(source, "script.py", "exec")
    assert "from app" not in source and "import app" not in source
    assert "attention run: reverse of 6 tokens" in source and "CONFIG_JSON = " in source
