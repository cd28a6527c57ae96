"""The database: SQLAlchemy 2 tables, engine, repositories and Alembic migrations."""
