"""Alembic environment, configured in code by app.db.engine (no alembic.ini).

The caller passes an open connection in ``config.attributes["connection"]``; without one,
the URL comes from the settings (so plain ``alembic`` commands still work from code).
"""

from __future__ import annotations

from alembic import context

from app.db.schema import metadata

config = context.config
target_metadata = metadata()


def run_migrations(connection: object) -> None:
    """Run the migrations on ``connection`` in batch mode (SQLite alters by copying tables)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    from app.config import get_settings
    from app.db.engine import database_url, make_engine

    engine = make_engine(database_url(get_settings()))
    try:
        with engine.begin() as conn:
            run_migrations(conn)
    finally:
        engine.dispose()
