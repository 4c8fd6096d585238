"""Alembic environment, run in-process by `storage.engine` (no alembic.ini at runtime, so it
works the same from a PyInstaller bundle).

The caller hands in an open connection through `config.attributes["connection"]`. To write a new
revision during development:

    .venv/bin/python -m bookkeeper_desktop.storage.migrations revision -m "what changed"

which autogenerates against a scratch SQLite database upgraded to head. Then set
`storage.engine.SCHEMA_HEAD` to the new revision id (a test checks that they agree).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bookkeeper_desktop.storage.schema import Base

config = context.config
connection = config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through bookkeeper_desktop.storage.engine.open_database")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
