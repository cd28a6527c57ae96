"""The database URL from the settings, and the engine's sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.config import Settings
from app.db.engine import database_url, make_sessionmaker


def test_database_url_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    url = database_url(Settings(data_dir=tmp_path / "data"))
    assert url == f"sqlite:///{(tmp_path / 'data' / 'layerwise.db').resolve()}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/lw", "postgresql+psycopg://u:p@db:5432/lw"),
        ("postgres://u@db/lw", "postgresql+psycopg://u@db/lw"),
        ("postgresql+psycopg://u@db/lw", "postgresql+psycopg://u@db/lw"),
        ("sqlite:////srv/lw.db", "sqlite:////srv/lw.db"),
    ],
)
def test_database_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", given)
    assert database_url(Settings()) == expected


def test_sessions_keep_objects_readable_after_commit(db_engine: Engine) -> None:
    with make_sessionmaker(db_engine)() as db:
        assert db.execute(text("SELECT 1")).scalar() == 1
        assert make_sessionmaker(db_engine).kw["expire_on_commit"] is False
