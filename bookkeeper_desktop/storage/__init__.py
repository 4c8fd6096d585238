"""Storage: the SQLAlchemy schema, the engine with migrations at start, and the repositories.

Public entry points: `open_database(url) -> Database` (`storage.engine`), the records of
`storage.records`. The services (`bookkeeper_desktop.services`) are what the CLI and GUI call.
"""

from bookkeeper_desktop.storage.engine import Database, open_database

__all__ = ["Database", "open_database"]
