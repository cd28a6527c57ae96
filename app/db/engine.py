"""The engine and its sessions: SQLite (WAL) under the data dir by default, or PostgreSQL.

`upgrade(url)` applies the Alembic migrations shipped in ``app/db/migrations`` up to head;
`layerwise serve` and `layerwise db upgrade` call it, so a fresh data dir just works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
MIGRATE_LOCK = 0x4C57_0001  # PostgreSQL advisory lock key held while migrating


def database_url(settings: Settings) -> str:
    """The configured URL, or SQLite at ``<data_dir>/layerwise.db``.

    A bare ``postgresql://`` URL is read as psycopg 3 (the driver the project installs).
    """
    url = settings.database_url
    if not url:
        return f"sqlite:///{Path(settings.data_dir).resolve() / 'layerwise.db'}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLite connection: WAL journal, fsync on commit, enforced foreign keys."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, synchronous=FULL, foreign keys and a busy wait."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (pages render after committing)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Any = None) -> Any:
    """Alembic's configuration built in code (no alembic.ini), optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations to ``url`` up to ``revision`` (default: the newest).

    On PostgreSQL an advisory lock makes replicas that start together migrate one at a time.
    """
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK}
                )
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()
