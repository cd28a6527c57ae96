"""The `layerwise` command (also `python -m app`): its subcommands and their options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_serve_and_bench() -> None:
    result = _run(sys.executable, "-m", "app", "--help")
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout
    assert "bench" in result.stdout
    assert result.stdout.startswith("usage: layerwise")


def test_serve_help_shows_host_and_port() -> None:
    script = Path(sys.executable).with_name("layerwise")
    if not script.exists():
        pytest.skip("the `layerwise` console script is not installed next to this Python")
    result = _run(str(script), "serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "--host" in result.stdout
    assert "--port" in result.stdout
    assert "--log-level" in result.stdout


def test_run_unknown_command_refused() -> None:
    result = _run(sys.executable, "-m", "app", "teleport")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert _run(sys.executable, "-m", "app").returncode == 2  # a command is required


def test_backup_and_restore_listed_with_their_arguments() -> None:
    result = _run(sys.executable, "-m", "app", "--help")
    assert "backup" in result.stdout and "restore" in result.stdout
    result = _run(sys.executable, "-m", "app", "restore")
    assert result.returncode == 2
    assert "the following arguments are required: path" in result.stderr
    result = _run(sys.executable, "-m", "app", "restore", "--help")
    assert "--force" in result.stdout
