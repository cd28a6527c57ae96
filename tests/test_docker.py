"""The container: the Dockerfile lints clean, the entrypoint migrates then serves, the compose
files and `.env.example` say what they must (no Docker engine needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
# LAYERWISE_* variables read by the entry point rather than by Settings (none at present:
# LAYERWISE_SKIP_MIGRATIONS is read by both).
ENTRYPOINT_VARIABLES: set[str] = set()


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
    for needed in ("app", "templates", "static", "curriculum", "pyproject.toml"):
        assert needed in copied, f"{needed} is not copied into the image"


def test_dockerfile_installs_postgresql_client_lean() -> None:
    text = (ROOT / "Dockerfile").read_text()
    install = re.search(r"^RUN apt-get update(.*?)(?=^\S)", text, re.M | re.S)
    assert install, "no apt-get install step"
    step = install.group(1)
    assert "--no-install-recommends" in step
    assert re.search(r"\bpostgresql-client(-15)?\b", step)
    assert "rm -rf /var/lib/apt/lists/*" in step


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    entries = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".git", ".venv", "var", ".env", "**/__pycache__", ".pytest_cache"):
        assert needed in entries, f"{needed} is not in .dockerignore"
    for needed in ("app", "templates", "static", "curriculum", "docker", "bench", "pyproject.toml"):
        assert needed not in entries, f"{needed} is copied into the image but ignored"


@pytest.fixture
def fake_layerwise(tmp_path: Path) -> Path:
    """A `layerwise` on PATH that records each call (one line) and fails when told to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "layerwise"
    script.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$*" >> "$RECORD"\n'
        'if [ "$*" = "${FAIL_ON:-}" ]; then echo "cannot connect to db:5432" >&2; exit 3; fi\n'
    )
    script.chmod(0o755)
    return bin_dir


def _run_entrypoint(bin_dir: Path, tmp_path: Path, *args: str, **env: str):
    record = tmp_path / "calls.txt"
    environment = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RECORD": str(record),
        "LAYERWISE_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True
    )
    calls = record.read_text().splitlines() if record.exists() else []
    return result, calls


def test_entrypoint_migrates_then_serves(fake_layerwise: Path, tmp_path: Path) -> None:
    result, calls = _run_entrypoint(
        fake_layerwise, tmp_path, LAYERWISE_HOST="0.0.0.0", LAYERWISE_PORT="9000"
    )
    assert result.returncode == 0, result.stderr
    assert calls == ["db upgrade", "serve --host 0.0.0.0 --port 9000"]
    assert (tmp_path / "data").is_dir()


def test_entrypoint_passes_serve_options_through(fake_layerwise: Path, tmp_path: Path) -> None:
    result, calls = _run_entrypoint(fake_layerwise, tmp_path, "serve", "--log-level", "debug")
    assert result.returncode == 0, result.stderr
    assert calls == ["db upgrade", "serve --host 0.0.0.0 --port 8000 --log-level debug"]


def test_entrypoint_stops_when_migrations_fail(fake_layerwise: Path, tmp_path: Path) -> None:
    result, calls = _run_entrypoint(fake_layerwise, tmp_path, FAIL_ON="db upgrade")
    assert result.returncode == 3
    assert calls == ["db upgrade"], "served although the migrations failed"
    assert "database migrations failed (exit 3); not serving" in result.stderr
    assert "LAYERWISE_DATABASE_URL" in result.stderr


@pytest.mark.parametrize("value", ["1", "true"])
def test_entrypoint_skips_migrations_when_asked(
    fake_layerwise: Path, tmp_path: Path, value: str
) -> None:
    result, calls = _run_entrypoint(
        fake_layerwise, tmp_path, LAYERWISE_SKIP_MIGRATIONS=value, FAIL_ON="db upgrade"
    )
    assert result.returncode == 0, result.stderr
    assert calls == ["serve --host 0.0.0.0 --port 8000"]
    assert "not migrating" in result.stderr


def test_entrypoint_passes_other_commands_through(fake_layerwise: Path, tmp_path: Path) -> None:
    result, calls = _run_entrypoint(fake_layerwise, tmp_path, "bench", "--quick")
    assert result.returncode == 0, result.stderr
    assert calls == ["bench --quick"]
    result, calls = _run_entrypoint(fake_layerwise, tmp_path, "backup")
    assert calls[-1] == "backup"


def test_entrypoint_refuses_unusable_data_dir(fake_layerwise: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result, calls = _run_entrypoint(
        fake_layerwise, tmp_path, LAYERWISE_DATA_DIR=str(blocker / "data")
    )
    assert result.returncode == 70
    assert "not writable" in result.stderr and str(blocker / "data") in result.stderr
    assert calls == []


def _compose(name: str = "docker-compose.yml") -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text())


def _interpolated(value: str) -> bool:
    return bool(re.fullmatch(r"\$\{[A-Z_]+(:?[-?][^}]*)?\}", value))


def test_compose_runs_app_on_postgresql() -> None:
    compose = _compose()
    services, volumes = compose["services"], compose["volumes"]
    assert set(services) == {"db", "app"}

    db = services["db"]
    assert db["image"] == "postgres:15"
    data = [v.split(":") for v in db["volumes"]]
    assert ["pgdata", "/var/lib/postgresql/data"] in data and "pgdata" in volumes
    assert db["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in db["healthcheck"]["test"][1]
    assert _interpolated(db["environment"]["POSTGRES_PASSWORD"])

    app = services["app"]
    assert app["build"]["context"] == "."
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert app["restart"] == "unless-stopped"
    assert app["env_file"] == ".env"
    assert any(p.endswith(":8000") for p in app["ports"])
    mounts = [v.split(":") for v in app["volumes"]]
    assert [name for name, target in mounts if target == "/data"] == ["layerwise-data"]
    assert "layerwise-data" in volumes
    url = app["environment"]["LAYERWISE_DATABASE_URL"]
    match = re.fullmatch(r"postgresql\+psycopg://(\$\{[^}]+\}):(\$\{[^}]+\})@db:5432/(.+)", url)
    assert match, url
    assert all(_interpolated(part) for part in match.groups())


def test_compose_files_hard_code_no_secret() -> None:
    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif re.search(r"PASSWORD|SECRET|TOKEN", key, re.I) and node is not None:
            assert _interpolated(str(node)), f"{key} is hard-coded"

    for name in ("docker-compose.yml", "docker-compose.gpu.yml"):
        walk(_compose(name))
        text = (ROOT / name).read_text()
        assert not re.search(r"://[^:/${}\s]+:[^@${}\s]+@", text), f"a password in a URL in {name}"


def test_compose_gpu_override_builds_cuda_and_reserves_gpu() -> None:
    app = _compose("docker-compose.gpu.yml")["services"]["app"]
    assert "/whl/cu" in app["build"]["args"]["TORCH_INDEX_URL"]
    assert app["environment"]["LAYERWISE_DEVICE"] == "cuda"
    (device,) = app["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]


def _env_example() -> dict[str, str]:
    """The variables `.env.example` names (set or commented out) and the value shown."""
    found: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_names_every_setting_and_no_other() -> None:
    named = {name for name in _env_example() if name.startswith("LAYERWISE_")}
    settings = {f"LAYERWISE_{field.upper()}" for field in Settings.model_fields}
    assert not settings - named, f"missing from .env.example: {sorted(settings - named)}"
    unknown = named - settings - ENTRYPOINT_VARIABLES
    assert not unknown, f".env.example names settings that do not exist: {sorted(unknown)}"


def test_env_example_shows_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.startswith("LAYERWISE_"):
            monkeypatch.delenv(name)
    defaults = Settings()
    for name, value in _env_example().items():
        field = name.removeprefix("LAYERWISE_").lower()
        if field not in Settings.model_fields or field == "workers":  # workers: the core count
            continue
        if getattr(defaults, field) is None:
            continue
        monkeypatch.setenv(name, value)
        assert getattr(Settings(), field) == getattr(defaults, field), name
        monkeypatch.delenv(name)


def test_env_example_declares_every_compose_variable() -> None:
    named = set(_env_example())
    for name in ("docker-compose.yml", "docker-compose.gpu.yml"):
        used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / name).read_text()))
        assert used <= named, f"{name} uses {sorted(used - named)} that .env.example omits"
