"""`layerwise create-user` and `layerwise db upgrade`, run as real commands on a temp data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.auth.passwords import verify_password
from app.config import Settings
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import User

ROOT = Path(__file__).resolve().parents[2]


def _layerwise(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "LAYERWISE_DATA_DIR": str(data_dir), "LAYERWISE_ARGON2_MEMORY_KIB": "1024"}
    env.pop("LAYERWISE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _users(data_dir: Path) -> list[User]:
    engine = make_engine(f"sqlite:///{data_dir / 'layerwise.db'}")
    with make_sessionmaker(engine)() as db:
        users = list(db.scalars(select(User)))
    engine.dispose()
    return users


def test_create_user_admin_from_stdin(tmp_path: Path) -> None:
    result = _layerwise(
        tmp_path,
        *("create-user", "--email", "Root@School.org", "--role", "admin", "--name", "Head"),
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert result.returncode == 0, result.stderr
    assert "created admin root@school.org" in result.stdout
    (user,) = _users(tmp_path)
    assert (user.email, user.role, user.display_name) == ("root@school.org", "admin", "Head")
    cheap = Settings(argon2_memory_kib=1024)
    assert verify_password("a long enough secret", user.password_hash, cheap) is not None


def test_create_user_duplicate_and_bad_input_refused(tmp_path: Path) -> None:
    args = ("create-user", "--email", "a@school.org", "--password-stdin")
    assert _layerwise(tmp_path, *args, stdin="a long enough secret\n").returncode == 0
    again = _layerwise(tmp_path, *args, stdin="a long enough secret\n")
    assert again.returncode == 2
    assert "an account for a@school.org already exists" in again.stderr
    short = _layerwise(
        tmp_path, "create-user", "--email", "b@school.org", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad = _layerwise(
        tmp_path,
        "create-user",
        "--email",
        "nobody",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert bad.returncode == 2 and "enter an email address" in bad.stderr
    role = _layerwise(tmp_path, "create-user", "--email", "c@school.org", "--role", "root")
    assert role.returncode == 2 and "invalid choice: 'root'" in role.stderr
    assert [u.email for u in _users(tmp_path)] == ["a@school.org"]


def test_create_user_without_terminal_asks_for_stdin(tmp_path: Path) -> None:
    result = _layerwise(tmp_path, "create-user", "--email", "a@school.org")
    assert result.returncode != 0
    assert "--password-stdin" in result.stderr


def test_db_upgrade_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    result = _layerwise(data, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "database at head" in result.stdout
    assert (data / "layerwise.db").exists()
    assert _users(data) == []


def test_db_upgrade_names_an_unreachable_database_without_a_traceback(tmp_path: Path) -> None:
    url = "postgresql+psycopg://layerwise:s3cret@127.0.0.1:1/layerwise?connect_timeout=2"
    env = {**os.environ, "LAYERWISE_DATA_DIR": str(tmp_path), "LAYERWISE_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot migrate the database at postgresql+psycopg://layerwise:***@127.0.0.1:1" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr
