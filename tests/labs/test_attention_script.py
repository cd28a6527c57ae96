"""The attention lab's standalone script: it runs away from the repository and reproduces the
lab's weights and test metrics step for step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from app.labs.attention import AttentionLab

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
    script = tmp_path / "run.py"
    script.write_text(AttentionLab.export_script(params))
    weights = tmp_path / "model.pt"
    result = subprocess.run(
        [sys.executable, str(script), "--steps", "20", "--every", "10", "--weights", str(weights)],
        cwd=tmp_path,  # away from the repository: the script must not need `app`
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = [LINE.search(line) for line in result.stdout.splitlines()]
    assert all(printed), result.stdout
    assert [int(m.group(1)) for m in printed] == [10, 20]

    torch.set_num_threads(1)
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
