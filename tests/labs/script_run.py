"""Run a lab's exported script away from the repository and read what it printed."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch


def run_script(
    source: str, tmp_path: Path, steps: int, every: int, line: re.Pattern[str]
) -> tuple[list[re.Match[str]], Path]:
    """Run ``source`` for ``steps`` steps, printing every ``every``; each printed line's match
    (group 1 is the step) and the path of the weights it saved."""
    script = tmp_path / "run.py"
    script.write_text(source)
    weights = tmp_path / "model.pt"
    args = ["--steps", str(steps), "--every", str(every), "--weights", str(weights)]
    result = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,  # away from the repository: the script must not need `app`
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = [line.search(text) for text in result.stdout.splitlines()]
    assert all(printed), result.stdout
    matches = [m for m in printed if m is not None]
    assert [int(m.group(1)) for m in matches] == list(range(every, steps + 1, every))
    return matches, weights


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread, as the script does, so the lab makes the same numbers."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
