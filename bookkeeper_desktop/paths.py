"""Where Bookkeeper Desktop keeps its files on this machine.

The user data folder comes from platformdirs (`~/.local/share/bookkeeper-desktop` on Linux,
`%LOCALAPPDATA%\\bookkeeper-desktop` on Windows, `~/Library/Application Support/...` on macOS).
`BOOKKEEPER_DATA_DIR` overrides it, which is how tests keep away from the user's real books.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from bookkeeper_desktop import APP_ID

DATA_DIR_ENV = "BOOKKEEPER_DATA_DIR"
DB_URL_ENV = "BOOKKEEPER_DB_URL"
DATABASE_FILE_NAME = "books.sqlite"
STATE_FILE_NAME = "state.json"


def data_dir(*, create: bool = True) -> Path:
    """The folder for the database, backups and the small state file."""
    override = os.environ.get(DATA_DIR_ENV)
    folder = Path(override) if override else platformdirs.user_data_path(APP_ID, appauthor=False)
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def default_database_path() -> Path:
    return data_dir() / DATABASE_FILE_NAME


def default_database_url() -> str:
    """The SQLite file in the user data folder, as an SQLAlchemy URL."""
    return f"sqlite:///{default_database_path()}"


def database_url(explicit: str | None = None) -> str:
    """The database to use: `explicit` (`--db`), else `BOOKKEEPER_DB_URL`, else the default file."""
    return explicit or os.environ.get(DB_URL_ENV) or default_database_url()


def state_file() -> Path:
    """Small per-user state that is not a setting (the company last switched to, per database)."""
    return data_dir() / STATE_FILE_NAME
