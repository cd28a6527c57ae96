"""The container: the Dockerfile lints clean and the entrypoint script does what it says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _hadolint() -> str:
    found = Path(sys.executable).parent / "hadolint"
    return str(found) if found.exists() else (shutil.which("hadolint") or "hadolint")


def test_lint_dockerfile_clean() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_pins_cpu_torch_and_runs_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0")), "the last USER must not be root"
    assert re.search(r"^HEALTHCHECK .*?/healthz", text, re.M | re.S)
    assert re.search(r'^VOLUME \["/data"\]', text, re.M)
    assert "LAYERWISE_DATA_DIR=/data" in text


def test_dockerfile_copies_what_the_app_reads() -> None:
    text = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) ", text, re.M))
    for needed in ("app", "templates", "static", "pyproject.toml"):
        assert needed in copied, f"{needed} is not copied into the image"


@pytest.fixture
def fake_layerwise(tmp_path: Path) -> Path:
    """A `layerwise` on PATH that records its arguments instead of serving."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "layerwise"
    script.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n')
    script.chmod(0o755)
    return bin_dir


def _run_entrypoint(bin_dir: Path, tmp_path: Path, *args: str, **env: str):
    record = tmp_path / "args.txt"
    environment = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RECORD": str(record),
        "LAYERWISE_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True
    )
    recorded = record.read_text().split("\n")[:-1] if record.exists() else None
    return result, recorded


def test_entrypoint_serves_on_configured_host_and_port(fake_layerwise: Path, tmp_path: Path):
    result, args = _run_entrypoint(
        fake_layerwise, tmp_path, LAYERWISE_HOST="0.0.0.0", LAYERWISE_PORT="9000"
    )
    assert result.returncode == 0, result.stderr
    assert args == ["serve", "--host", "0.0.0.0", "--port", "9000"]
    assert (tmp_path / "data").is_dir()


def test_entrypoint_passes_other_commands_through(fake_layerwise: Path, tmp_path: Path):
    result, args = _run_entrypoint(fake_layerwise, tmp_path, "bench", "--quick")
    assert result.returncode == 0, result.stderr
    assert args == ["bench", "--quick"]


def test_entrypoint_refuses_unusable_data_dir(fake_layerwise: Path, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result, args = _run_entrypoint(
        fake_layerwise, tmp_path, LAYERWISE_DATA_DIR=str(blocker / "data")
    )
    assert result.returncode == 70
    assert "not writable" in result.stderr and str(blocker / "data") in result.stderr
    assert args is None
