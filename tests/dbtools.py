"""Database fixtures: every database test runs on SQLite and on a throw-away PostgreSQL.

The PostgreSQL cluster is made once per test session with initdb/pg_ctl on a free loopback
port (as the ``postgres`` user when the tests run as root, since PostgreSQL refuses root),
each test gets a database of its own, and the cluster is stopped and deleted at the end.
Without the binaries the PostgreSQL half is skipped, unless the environment sets CI.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db.engine import make_engine, make_sessionmaker, upgrade
from app.db.progress import save_mastery
from bench.server import free_port


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian's layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: p.split("/")[4])
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class Cluster:
    """A PostgreSQL cluster in a temp dir, listening on 127.0.0.1 only, trust auth."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="layerwise-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        command = _as_postgres([str(self.bindir / args[0]), *args[1:]])
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, sql: str) -> None:
        """Run one statement in autocommit mode on the maintenance database."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throw-away PostgreSQL cluster for the whole test session."""
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing")
        pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
    cluster = Cluster(bindir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of its own: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'layerwise.db'}"
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    name = f"t_{uuid.uuid4().hex[:16]}"
    cluster.execute(f"CREATE DATABASE {name}")
    yield f"{cluster.url}/{name}"
    cluster.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url``'s database, migrated to head and otherwise empty."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    """A session on the migrated database, closed after the test."""
    with make_sessionmaker(db_engine)() as session:
        yield session


@contextlib.contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    """An engine on ``url``, disposed afterwards (for tests that open a database by URL)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def write_level(
    db: Session, user_id: int, concept: str, level: str, score: float, now: datetime | None = None
) -> None:
    """Give a learner a level and score on a concept directly (no review state); flushed."""
    save_mastery(
        db,
        user_id=user_id,
        concept_id=concept,
        level=level,
        score=score,
        proficient_at=None,
        mastered_at=None,
        review_card=None,
        due_at=None,
        now=now,
    )
