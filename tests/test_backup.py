"""`layerwise backup` and `layerwise restore` on SQLite and PostgreSQL: every row comes back."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from app.backup import (
    BackupError,
    backup,
    backup_kind,
    count_rows,
    default_path,
    libpq_conninfo,
    pg_tool,
    restore,
)
from app.db.classes import (
    Assignment,
    AssignmentExtension,
    Class,
    ClassInvite,
    LessonTime,
    Membership,
)
from app.db.engine import make_sessionmaker, upgrade
from app.db.models import AuditLog, AuthSession, LoginFailure, User
from app.db.progress import Attempt, IssuedVariant, LessonUnlock, Mastery
from app.db.schema import metadata
from tests.dbtools import engine_for

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
HEAD = "0003_classes"


@pytest.fixture
def empty_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same engine as ``db_url``: where a backup is restored."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'layerwise.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"r_{uuid.uuid4().hex[:16]}"
    cluster.execute(f"CREATE DATABASE {name}")
    yield f"{cluster.url}/{name}"
    cluster.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _fill(db: Session) -> None:
    """At least one row in every table, through the ORM, with awkward values where they fit."""
    ada = User(email="ada@example.org", display_name="Ada Ł. ✓", password_hash="h1", role="admin")
    bob = User(email="bob@example.org", display_name="Bob", password_hash="h2", created_at=T0)
    db.add_all([ada, bob])
    db.flush()
    db.add_all(
        [
            AuthSession(
                token_hash="a" * 64,
                user_id=bob.id,
                expires_at=T0 + timedelta(days=7),
                address="::1",
            ),
            LoginFailure(email="bob@example.org", address="10.0.0.1", created_at=T0),
            AuditLog(
                actor_id=ada.id,
                action="class.create",
                target_type="class",
                target_id="1",
                detail={"name": "Deep ✓", "nested": {"list": [1, 2.5, None]}},
                created_at=T0,
            ),
            Attempt(
                user_id=bob.id,
                lesson_id="composition",
                check_id="c1",
                kind="generated",
                variant_seed=2**40 + 7,
                response={"values": {"y": 0.349}},
                score=0.5,
                correct=False,
                run_id="r1",
                created_at=T0,
            ),
            Mastery(
                user_id=bob.id,
                concept_id="composition",
                level="familiar",
                score=0.75,
                proficient_at=None,
                mastered_at=None,
                review_card={"stability": 3.2, "due": "2026-03-05T09:00:00+00:00"},
                due_at=T0 + timedelta(days=3),
            ),
            LessonUnlock(user_id=bob.id, lesson_id="backprop", by_user_id=ada.id),
            IssuedVariant(
                user_id=bob.id, lesson_id="composition", check_id="c1", seed=2**40 + 7, batch="b1"
            ),
        ]
    )
    klass = Class(name="Deep learning 101", timezone="Europe/Paris", join_code="ABCD-2345")
    db.add(klass)
    db.flush()
    assignment = Assignment(
        class_id=klass.id,
        title="Week 1",
        lesson_ids=["composition", "backprop"],
        concept_ids=["composition"],
        due_at=T0 + timedelta(days=14),
        created_by=ada.id,
    )
    db.add_all(
        [
            Membership(class_id=klass.id, user_id=ada.id, role="instructor"),
            Membership(class_id=klass.id, user_id=bob.id, role="learner", added_by=ada.id),
            ClassInvite(class_id=klass.id, email="cy@example.org", display_name="Cy"),
            assignment,
            LessonTime(user_id=bob.id, lesson_id="composition", seconds=754),
        ]
    )
    db.flush()
    db.add(
        AssignmentExtension(
            assignment_id=assignment.id, user_id=bob.id, due_at=T0 + timedelta(days=21)
        )
    )


def _filled(url: str) -> None:
    upgrade(url)
    with engine_for(url) as engine, make_sessionmaker(engine)() as db:
        _fill(db)
        db.commit()


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the app, in primary-key order."""
    with engine_for(url) as engine, engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in metadata().sorted_tables
        }


def _revision(url: str) -> str:
    with engine_for(url) as engine, engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_backup_and_restore_keep_every_row(db_url: str, empty_url: str, tmp_path: Path) -> None:
    _filled(db_url)
    before = _rows(db_url)
    assert all(before.values()), [name for name, rows in before.items() if not rows]
    path = backup(db_url, tmp_path / "out" / "backup")
    assert backup_kind(path) == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert not list(path.parent.glob(".*partial"))

    restore(empty_url, path)

    assert _rows(empty_url) == before
    assert _revision(empty_url) == HEAD
    # Counters come back too: a new row gets a fresh id on the restored database.
    with engine_for(empty_url) as engine, make_sessionmaker(engine)() as db:
        cy = User(email="cy@example.org", display_name="Cy", password_hash="h3")
        db.add(cy)
        db.commit()
        assert cy.id > max(row[0] for row in before["users"])


def test_restore_refuses_database_with_rows(db_url: str, tmp_path: Path) -> None:
    _filled(db_url)
    path = backup(db_url, tmp_path / "backup")
    before = _rows(db_url)
    with engine_for(db_url) as engine, make_sessionmaker(engine)() as db:
        db.add(User(email="late@example.org", display_name="Late", password_hash="h"))
        db.commit()

    with pytest.raises(BackupError, match=r"already holds .* --force"):
        restore(db_url, path)
    assert len(_rows(db_url)["users"]) == len(before["users"]) + 1

    restore(db_url, path, force=True)
    assert _rows(db_url) == before


def test_restore_into_migrated_empty_database_needs_no_force(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    _filled(db_url)
    path = backup(db_url, tmp_path / "backup")
    upgrade(empty_url)  # a server started once: the tables exist, no row
    assert count_rows(empty_url) == 0
    restore(empty_url, path)
    assert _rows(empty_url) == _rows(db_url)


def test_restore_refuses_backup_of_other_engine(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    if db_url.startswith("sqlite"):
        other = tmp_path / "other.pgdump"
        other.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
        expected = "PostgreSQL backup but the database is SQLite"
    else:
        other = tmp_path / "other.sqlite3"
        with sqlite3.connect(other) as connection:
            connection.execute("CREATE TABLE t (x)")
        connection.close()
        expected = "SQLite backup but the database is PostgreSQL"
    with pytest.raises(BackupError, match=expected):
        restore(db_url, other)
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a backup")
    with pytest.raises(BackupError, match="neither a SQLite database nor a pg_dump"):
        restore(db_url, garbage)
    with pytest.raises(BackupError, match="no backup file"):
        restore(db_url, tmp_path / "missing")


def test_restore_migrates_backup_of_older_schema(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    upgrade(db_url, "0002_progress")
    with engine_for(db_url) as engine, make_sessionmaker(engine)() as db:
        db.add(User(email="old@example.org", display_name="Old", password_hash="h"))
        db.commit()
    path = backup(db_url, tmp_path / "old")

    restore(empty_url, path)

    assert _revision(empty_url) == HEAD
    rows = _rows(empty_url)
    assert [row[1] for row in rows["users"]] == ["old@example.org"]
    assert rows["classes"] == []


def test_backup_refuses_existing_path_and_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'layerwise.db'}"
    with pytest.raises(BackupError, match="no SQLite database at"):
        backup(url, tmp_path / "b.sqlite3")
    upgrade(url)
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup(url, taken)
    assert taken.read_text() == "keep me"


def test_sqlite_backup_is_one_checked_file_while_a_writer_holds_the_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'layerwise.db'}"
    _filled(url)
    with engine_for(url) as engine, make_sessionmaker(engine)() as db:
        # An open write transaction in WAL mode: the backup reads the last commit.
        db.add(User(email="pending@example.org", display_name="P", password_hash="h"))
        db.flush()
        path = backup(url, tmp_path / "copy.sqlite3")
        db.rollback()
    assert not Path(f"{path}-wal").exists()
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        emails = [row[0] for row in copy.execute("SELECT email FROM users ORDER BY id")]
    copy.close()
    assert emails == ["ada@example.org", "bob@example.org"]


def test_default_path_names_engine_and_time(tmp_path: Path) -> None:
    when = datetime(2026, 11, 27, 14, 5, 9, tzinfo=UTC)
    assert default_path(tmp_path, "sqlite", when) == (
        tmp_path / "backups" / "layerwise-20261127-140509.sqlite3"
    )
    assert default_path(tmp_path, "postgresql", when).name == "layerwise-20261127-140509.pgdump"


def _cli(*args: str, url: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "LAYERWISE_DATABASE_URL": url,
        "LAYERWISE_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_backup_then_restore(db_url: str, empty_url: str, tmp_path: Path) -> None:
    _filled(db_url)
    data_dir = tmp_path / "data"
    done = _cli("backup", url=db_url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    suffix = "sqlite3" if db_url.startswith("sqlite") else "pgdump"
    written = list((data_dir / "backups").iterdir())
    assert len(written) == 1
    assert re.fullmatch(rf"layerwise-\d{{8}}-\d{{6}}\.{suffix}", written[0].name)
    assert str(written[0]) in done.stdout

    done = _cli("restore", str(written[0]), url=empty_url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert _rows(empty_url) == _rows(db_url)

    done = _cli("restore", str(written[0]), url=empty_url, data_dir=data_dir)
    assert done.returncode == 1
    assert "layerwise restore: the database already holds" in done.stderr
    assert "--force" in done.stderr
    done = _cli("restore", "--force", str(written[0]), url=empty_url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr

    done = _cli("restore", str(tmp_path / "nope"), url=empty_url, data_dir=data_dir)
    assert done.returncode == 1
    assert f"no backup file at {tmp_path / 'nope'}" in done.stderr


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pg_restore_of_damaged_archive_changes_nothing(db_url: str, tmp_path: Path) -> None:
    _filled(db_url)
    before = _rows(db_url)
    path = backup(db_url, tmp_path / "backup")
    damaged = tmp_path / "damaged"
    data = path.read_bytes()
    damaged.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BackupError, match="pg_restore failed"):
        restore(db_url, damaged, force=True)
    assert _rows(db_url) == before
    with engine_for(db_url) as engine, engine.connect() as connection:
        assert "alembic_version" in inspect(connection).get_table_names()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pg_restore_failing_midway_leaves_target_as_it_was(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    _filled(db_url)
    with engine_for(db_url) as engine, engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA extra"))
    path = backup(db_url, tmp_path / "backup")
    # The target already has that schema: the archive's CREATE SCHEMA fails after the
    # target's tables were dropped, and the whole restore must roll back.
    upgrade(empty_url)
    with engine_for(empty_url) as engine:
        with engine.begin() as connection:
            connection.execute(text("CREATE SCHEMA extra"))
        with make_sessionmaker(engine)() as db:
            db.add(User(email="keep@example.org", display_name="Keep", password_hash="h"))
            db.commit()
    before = _rows(empty_url)

    with pytest.raises(BackupError, match=r"restoring with psql failed .*extra"):
        restore(empty_url, path, force=True)
    assert _rows(empty_url) == before


def test_libpq_conninfo_drops_driver_and_moves_password_to_environment() -> None:
    conninfo, env = libpq_conninfo(
        "postgresql+psycopg://layerwise:p%40ss%2Fw@db.internal:5433/school?sslmode=require"
    )
    assert conninfo == "postgresql://layerwise@db.internal:5433/school?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss/w"


def test_pg_tool_found_on_path_or_in_debian_layout_or_named_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pg_tool("pg_dump") == str(fake)
    fake.unlink()
    monkeypatch.setattr(
        "app.backup.glob.glob",
        lambda pattern: [pattern.replace("*", v) for v in ("9", "15", "13")],
    )
    assert pg_tool("pg_dump") == "/usr/lib/postgresql/15/bin/pg_dump"
    monkeypatch.setattr("app.backup.glob.glob", lambda pattern: [])
    with pytest.raises(BackupError, match=r"pg_dump is not installed .*postgresql-client"):
        pg_tool("pg_dump")


def test_restore_refuses_backup_from_newer_schema(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    _filled(db_url)
    with engine_for(db_url) as engine, engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    path = backup(db_url, tmp_path / "future")
    upgrade(empty_url)
    before = _rows(empty_url)

    with pytest.raises(BackupError, match=r"revision '9999_future'.* newer version"):
        restore(empty_url, path)
    assert _rows(empty_url) == before
    assert _revision(empty_url) == HEAD
