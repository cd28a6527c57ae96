"""Every table module in one place: Alembic and the tests read the full metadata from here."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from app.db.base import Base

MODEL_MODULES = ("app.db.models", "app.db.progress", "app.db.classes")


def metadata() -> MetaData:
    """Base.metadata with every table module imported (so every table is registered)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
