"""Alembic migrations of the Bookkeeper Desktop schema (applied by `storage.engine`)."""
