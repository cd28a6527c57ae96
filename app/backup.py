"""Backups of the database and their restore: `layerwise backup` and `layerwise restore`.

SQLite is copied with its online backup API (`sqlite3.Connection.backup`), which reads a
consistent snapshot while the server keeps writing; the copy is checked with
`PRAGMA integrity_check` before it is given its name. PostgreSQL is dumped with
`pg_dump --format=custom` and restored through `pg_restore` into one `psql` transaction that
first drops the target's tables, so a failed restore leaves the database as it was.

A restore refuses a database that holds any row unless forced, refuses a backup made from
the other engine, and migrates the result to the newest schema afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, make_url

from app.db.engine import alembic_config, make_engine, upgrade
from app.db.schema import metadata

Kind = Literal["sqlite", "postgresql"]
SUFFIXES: dict[Kind, str] = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
KIND_NAMES: dict[Kind, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
PG_TOOL_TIMEOUT_S = 6 * 3600


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def engine_kind(url: str) -> Kind:
    """Which engine a SQLAlchemy URL names (any other engine is refused)."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database (SQLite or PostgreSQL only)")
    return backend  # type: ignore[return-value]


def default_path(data_dir: Path, kind: Kind, now: datetime | None = None) -> Path:
    """``<data_dir>/backups/layerwise-YYYYmmdd-HHMMSS.{sqlite3,pgdump}`` (UTC)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return Path(data_dir) / "backups" / f"layerwise-{stamp}{SUFFIXES[kind]}"


def backup_kind(path: Path) -> Kind:
    """What made the backup file at ``path``, read from its first bytes."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is neither a SQLite database nor a pg_dump custom archive; "
        "was it made by `layerwise backup`?"
    )


def backup(url: str, path: Path) -> Path:
    """Write a backup of the database at ``url`` to ``path`` (which must not exist yet)."""
    kind = engine_kind(url)
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        _sqlite_backup(_sqlite_file(url), path)
    else:
        _pg_backup(url, path)
    return path


def restore(url: str, path: Path, *, force: bool = False) -> Kind:
    """Replace the database at ``url`` by the backup at ``path``, then migrate it to head.

    Refuses a backup of the other engine, and a database holding any row unless ``force``.
    """
    kind = engine_kind(url)
    path = Path(path)
    made_by = backup_kind(path)
    if made_by != kind:
        raise BackupError(
            f"{path} is a {KIND_NAMES[made_by]} backup but the database is "
            f"{KIND_NAMES[kind]}; restore it into a {KIND_NAMES[made_by]} database "
            "(set LAYERWISE_DATABASE_URL accordingly)"
        )
    rows = count_rows(url)
    if rows and not force:
        raise BackupError(
            f"the database already holds {rows} row(s); restoring would replace them. "
            "Back it up first, then restore with --force"
        )
    if kind == "sqlite":
        _sqlite_restore(path, _sqlite_file(url))
    else:
        _pg_restore(url, path)
    try:
        upgrade(url)
    except Exception as exc:
        raise BackupError(
            f"the backup was restored but migrating it to this version's schema failed: {exc}"
        ) from exc
    return kind


def count_rows(url: str) -> int:
    """Rows in the app's tables at ``url`` (0 for a missing or fresh database)."""
    if engine_kind(url) == "sqlite" and not _sqlite_file(url).exists():
        return 0
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            return sum(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata().sorted_tables
                if table.name in present
            )
    except Exception as exc:
        raise BackupError(f"cannot read the database: {exc}") from exc
    finally:
        engine.dispose()


def check_revision(revision: str | None, path: Path) -> None:
    """Refuse a backup whose schema this version does not know (made by a newer version)."""
    from alembic.script import ScriptDirectory

    if revision is None:
        return
    known = {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
    if revision not in known:
        raise BackupError(
            f"{path} holds schema revision {revision!r}, which this version of Layerwise does "
            "not know (the backup comes from a newer version); upgrade Layerwise, then restore"
        )


# SQLite


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"the SQLite URL {url!r} names no database file")
    return Path(database)


def _integrity(connection: sqlite3.Connection, name: Path) -> None:
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} is not a readable SQLite database: {exc}") from exc
    if result != ["ok"]:
        raise BackupError(f"{name} failed its integrity check: {'; '.join(result[:5])}")


def _sqlite_backup(source_file: Path, path: Path) -> None:
    if not source_file.is_file():
        raise BackupError(f"no SQLite database at {source_file}: nothing to back up")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_file, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        # The copy is one self-contained file: no -wal beside it.
        target.execute("PRAGMA journal_mode = DELETE")
        _integrity(target, path)
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    target.close()
    partial.replace(path)


def _sqlite_restore(path: Path, target_file: Path) -> None:
    """Copy the backup into the target in one write transaction (the backup API again).

    The target keeps its own WAL and is never renamed over, so a server holding it open
    sees either the old database or the restored one, never a mix.
    """
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _integrity(source, path)
        try:
            row = source.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # a database never migrated
            row = None
        check_revision(row[0] if row else None, path)
        target_file.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_file, timeout=30)
        try:
            source.backup(target)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot write {target_file}: {exc}") from exc
        finally:
            target.close()
    finally:
        source.close()


# PostgreSQL


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, else the newest Debian install."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if installed:
        return installed[-1]
    raise BackupError(
        f"{name} is not installed (looked on PATH and in /usr/lib/postgresql/*/bin); "
        "install the PostgreSQL client tools (Debian: apt-get install postgresql-client)"
    )


def libpq_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq one, and an environment carrying its password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str, stdin: int | None = None) -> None:
    try:
        done = subprocess.run(
            command,
            env=env,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=PG_TOOL_TIMEOUT_S,
            check=False,
        )
    except OSError as exc:
        raise BackupError(f"cannot run {command[0]}: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise BackupError(f"{what} failed (exit {done.returncode}): {detail}")


def _pg_backup(url: str, path: Path) -> None:
    conninfo, env = libpq_conninfo(url)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    command = [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    try:
        _run([*command, f"--file={partial}", f"--dbname={conninfo}"], env, "pg_dump")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)


def _pg_restore(url: str, path: Path) -> None:
    conninfo, env = libpq_conninfo(url)
    pg_restore, psql = pg_tool("pg_restore"), pg_tool("psql")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory(prefix="layerwise-restore-") as scratch:
        script = Path(scratch) / "restore.sql"
        # The archive as SQL first: a damaged archive stops here, before the database is touched.
        _run(
            [pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(path)],
            env,
            "pg_restore",
        )
        check_revision(_script_revision(script), path)
        command = [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"]
        if tables:
            names = ", ".join(f'public."{name}"' for name in tables)
            command.append(f"--command=DROP TABLE IF EXISTS {names} CASCADE")
        command += [f"--file={script}", f"--dbname={conninfo}"]
        _run(command, env, "restoring with psql", stdin=subprocess.DEVNULL)


def _script_revision(script: Path) -> str | None:
    """The alembic_version row that a restore script copies in, if any (read as a stream)."""
    with script.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("COPY public.alembic_version "):
                row = next(lines, "\\.").rstrip("\n")
                return None if row == "\\." else row.split("\t")[0]
    return None
