"""What the server does to the database at start: migrate, unless told a job does it."""

from __future__ import annotations

import warnings

from sqlalchemy import inspect

from app.config import Settings
from app.db.engine import database_url
from app.main import create_app
from tests.dbtools import engine_for

with warnings.catch_warnings():  # starlette asks for httpx2; the httpx it finds works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


def _tables_after_start(settings: Settings) -> set[str]:
    with TestClient(create_app(settings)) as client:  # runs the lifespan: start, then stop
        assert client.get("/healthz").status_code == 200
    with engine_for(database_url(settings)) as engine:
        return set(inspect(engine).get_table_names())


def test_the_server_migrates_a_fresh_database_at_start(tmp_path) -> None:
    tables = _tables_after_start(Settings(data_dir=tmp_path, workers=1))
    assert {"users", "attempts", "classes", "assignments", "alembic_version"} <= tables


def test_skip_migrations_leaves_the_schema_to_a_job(tmp_path) -> None:
    tables = _tables_after_start(Settings(data_dir=tmp_path, workers=1, skip_migrations=True))
    assert tables == set()
