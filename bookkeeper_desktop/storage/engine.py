"""Opening the books: the engine, SQLite pragmas, schema migrations at start, and the one place
where database driver errors become the typed errors of `core.errors`.

`open_database(url)` never overwrites or recreates a database it cannot use: a locked, read-only,
corrupt or newer-version database raises `DatabaseLocked`, `DatabaseReadOnly`, `DatabaseCorrupt` or
`DatabaseTooNew` with a message and a hint. Before a migration touches an existing SQLite file, a
copy is written beside it (`books.sqlite.backup-20260301T101500Z`); a failed migration raises
`MigrationFailed` naming that copy.

SQLite runs in WAL mode (readers never block the writer) with foreign keys on and a busy timeout.
Write transactions start with `BEGIN IMMEDIATE` so that two programs writing at once wait for each
other instead of failing half way (the pysqlite recipe of the SQLAlchemy docs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bookkeeper_desktop import APP_NAME
from bookkeeper_desktop.core.errors import (
    BookkeeperError,
    ConfigurationError,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DuplicateError,
    MigrationFailed,
    StorageError,
    ValidationError,
)
from bookkeeper_desktop.paths import database_url, default_database_path
from bookkeeper_desktop.storage.schema import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The newest revision in migrations/versions (a test checks they agree). A database already at
#: this revision opens without importing Alembic at all, which keeps start-up quick.
SCHEMA_HEAD = "0011_undo_updates"
SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT_MS = 5000
_OUR_TABLES = frozenset(Base.metadata.tables)


def alembic_config(connection: Connection) -> Config:
    """An Alembic config built in code (no alembic.ini) that migrates through `connection`."""
    from alembic.config import Config  # noqa: PLC0415 - Alembic loads only when needed

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - Alembic loads only when needed

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


class Database:
    """An open database: the engine, and sessions that commit on success and roll back on error.

    Use `session()` for anything that writes and `read_session()` for reads; both turn driver
    errors into typed `StorageError`s. Safe to share between threads (each session is its own).

    Attributes:
        url: the URL with any password hidden, for messages.
        sqlite_path: the file, for SQLite on disk; None otherwise.
        read_only: opened with SQLite's `mode=ro`: reads work, writes raise `DatabaseReadOnly`.
        backup_path: the copy written before the last migration, if one ran at open.
    """

    def __init__(self, engine: Engine, *, sqlite_path: Path | None, read_only: bool) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        self.sqlite_path = sqlite_path
        self.read_only = read_only
        self.backup_path: Path | None = None
        write_engine = engine.execution_options(bookkeeper_write=True)
        self._writer = sessionmaker(write_engine, expire_on_commit=False)
        self._reader = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def label(self) -> str:
        """How messages name the database: the file for SQLite, else the URL."""
        return str(self.sqlite_path) if self.sqlite_path else self.url

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        with self._translated(), self._writer.begin() as session:
            yield session

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read transaction (never blocks a writer on SQLite/WAL). Closing the session ends
        the transaction; rows read stay usable (detached, not expired) after the block."""
        with self._translated(), self._reader() as session:
            yield session

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            raise translate_error(exc, self.label) from exc

    def checkpoint(self) -> None:
        """SQLite: fold the write-ahead log back into the file (after a bulk insert, so that the
        reads that follow do not wade through a large WAL). No-op elsewhere."""
        if not self.is_sqlite or self.read_only:
            return
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        except sqlite3.Error:
            pass  # a reader holds the log; SQLite checkpoints later by itself
        finally:
            raw.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def translate_error(exc: DBAPIError, label: str) -> BookkeeperError:
    """A driver error as the typed error a user can act on."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if "database is locked" in text or "database table is locked" in text or sqlstate == "55P03":
        return DatabaseLocked(
            f"The books in {label} are in use by another program that is saving changes.",
            hint="Wait a moment and try again, or close the other copy of Bookkeeper Desktop.",
        )
    if "readonly database" in text or "read-only" in text or sqlstate in ("25006", "42501"):
        return DatabaseReadOnly(
            f"The books in {label} can be read but not changed (the file or folder is read-only).",
            hint="Check the permissions of the file and its folder, or copy it somewhere you can "
            "write to.",
        )
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return DatabaseCorrupt(
            f"{label} is damaged or is not a Bookkeeper Desktop database.",
            hint="Restore it from a backup (the .backup- files beside it); it was left untouched.",
        )
    if isinstance(exc, IntegrityError):
        if "unique" in text or sqlstate == "23505":
            return DuplicateError(
                "That would repeat a record that must be unique (a name, code or key).",
            )
        return ValidationError(
            "The change refers to a record that does not exist or is in use.", [str(exc.orig)]
        )
    if "unable to open database file" in text:
        return StorageError(
            f"Cannot open {label}.",
            hint="Check that the folder exists and that you may read and write it.",
        )
    if "connection" in text or "could not connect" in text or "server" in text:
        return StorageError(
            f"Cannot reach the database server at {label}: {text.splitlines()[0]}",
            hint="Check that the server is running and that --db / BOOKKEEPER_DB_URL is right.",
        )
    return StorageError(f"The database {label} reported an error: {text.splitlines()[0]}")


def _sqlite_file(url: URL) -> tuple[Path | None, bool]:
    """(file path, opened read-only) for an SQLite URL; (None, False) for an in-memory database."""
    database = url.database or ""
    uri = str(url.query.get("uri", "")).lower() == "true"
    read_only = uri and str(url.query.get("mode", "")) == "ro"
    if uri and database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    if database in ("", ":memory:"):
        return None, False
    return Path(database), read_only


def _check_sqlite_file(path: Path, read_only: bool) -> None:
    """Refuse, before SQLite touches it, a file that is not a database or cannot be written."""
    if path.exists():
        if path.is_dir():
            raise DatabaseCorrupt(f"{path} is a folder, not a database file.")
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except PermissionError as exc:
            raise DatabaseReadOnly(
                f"{path} cannot be read.",
                hint="Check the file's permissions.",
            ) from exc
        if header and header != SQLITE_HEADER:
            raise DatabaseCorrupt(
                f"{path} is not an SQLite database (it may be damaged or another kind of file).",
                hint="Restore it from a backup, or choose another file; it was left untouched.",
            )
        if not read_only and not _writable(path):
            raise DatabaseReadOnly(
                f"The books in {path} are read-only.",
                hint="Check the permissions of the file and its folder (SQLite writes a journal "
                "beside it) or copy it to a folder you can write to; to only read them, use "
                f"--db 'sqlite:///file:{path}?mode=ro&uri=true'.",
            )
    elif read_only:
        raise StorageError(f"{path} does not exist.", hint="Check the path given with --db.")
    else:
        if path == default_database_path():
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            # A mistyped --db must not quietly create a folder tree with empty books in it.
            raise StorageError(
                f"The folder {path.parent} does not exist.",
                hint="Check the path given with --db or BOOKKEEPER_DB_URL, or create the folder.",
            )
        if not _writable(path):
            raise DatabaseReadOnly(
                f"Cannot create the books in {path}: the folder is read-only.",
                hint="Choose a folder you can write to with --db.",
            )


def _writable(path: Path) -> bool:
    import os  # noqa: PLC0415 - only here

    folder_ok = os.access(path.parent, os.W_OK | os.X_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def _install_sqlite_events(engine: Engine, busy_timeout_ms: int, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) decide when transactions begin, instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                # WAL mode is set once the file is known to be ours (`_use_wal`); this one is
                # per connection and changes nothing in the file.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("bookkeeper_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write and not read_only else "BEGIN")


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in a JSON column")


#: One encoder for every JSON column value (`json.dumps` with `default=` made a new one each
#: call: a first pull stores tens of thousands of objects). Its `encode` keeps no state.
_JSON_ENCODER = json.JSONEncoder(default=_json_default)


def _json_text(value: Any) -> str:
    """JSON columns hold providers' objects as they came, amounts included: a Decimal is stored
    as its exact text (never through float), without copying the object first."""
    return _JSON_ENCODER.encode(value)


def open_database(
    url: str | None = None,
    *,
    busy_timeout_ms: int | None = None,
    migrate: bool = True,
) -> Database:
    """Open the books at `url` (else `BOOKKEEPER_DB_URL`, else the SQLite file in the user data
    folder) and bring the schema up to date.

    Raises the `StorageError` family; never deletes, truncates or recreates what is there.
    """
    if busy_timeout_ms is None:
        busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS
    raw_url = database_url(url)
    try:
        parsed = make_url(raw_url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"'{raw_url}' is not a database URL.",
            hint="Use sqlite:///path/to/books.sqlite or postgresql+psycopg://user@host/db.",
        ) from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"'{parsed.render_as_string(hide_password=True)}' is not a database we support.",
            hint="Use SQLite (sqlite:///path/books.sqlite) or PostgreSQL "
                 "(postgresql+psycopg://user@host/db).",
        )
    sqlite_path: Path | None = None
    read_only = False
    engine_args: dict[str, Any] = {"json_serializer": _json_text}
    if parsed.get_backend_name() == "sqlite":
        sqlite_path, read_only = _sqlite_file(parsed)
        if sqlite_path is not None:
            _check_sqlite_file(sqlite_path, read_only)
        engine_args["connect_args"] = {
            "check_same_thread": False,
            "timeout": busy_timeout_ms / 1000,
        }
    elif parsed.get_backend_name() == "postgresql":
        # Wait for another session's lock as long as SQLite would, then say it is locked.
        options = str(parsed.query.get("options", ""))
        engine_args["pool_pre_ping"] = True
        engine_args["connect_args"] = {
            "connect_timeout": 10,
            "options": f"{options} -c lock_timeout={int(busy_timeout_ms)}".strip(),
        }
    try:
        engine = create_engine(parsed, **engine_args)
    except (ArgumentError, ImportError) as exc:
        raise ConfigurationError(f"Cannot use the database URL '{raw_url}': {exc}") from exc
    if engine.dialect.name == "sqlite":
        _install_sqlite_events(engine, busy_timeout_ms, read_only)
    database = Database(engine, sqlite_path=sqlite_path, read_only=read_only)
    try:
        if migrate:
            _migrate(database)
        if database.is_sqlite and not read_only and sqlite_path is not None:
            _use_wal(database)
    except BaseException:
        engine.dispose()
        raise
    return database


def _use_wal(database: Database) -> None:
    """Switch the file to WAL (persistent; readers then never block the writer). Done only after
    the checks of `_migrate`, so that a file that is not ours is never modified."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
    except sqlite3.Error as exc:
        raise translate_error(DBAPIError(None, None, exc), database.label) from exc
    finally:
        raw.close()


def _read_revision(connection: Connection, label: str) -> tuple[str | None, set[str]]:
    """(the schema revision recorded in the database, its other tables), with plain SQL."""
    tables = set(inspect(connection).get_table_names())
    current: str | None = None
    if "alembic_version" in tables:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        if len(rows) > 1:
            raise DatabaseCorrupt(
                f"The version record of {label} is damaged (it names {len(rows)} versions).",
                hint="Restore it from a backup; it was left untouched.",
            )
        current = str(rows[0][0]) if rows else None
    return current, tables - {"alembic_version"}


def _migrate(database: Database) -> None:
    try:
        with database.engine.connect() as connection:
            current, tables = _read_revision(connection, database.label)
            connection.rollback()
    except DBAPIError as exc:
        raise translate_error(exc, database.label) from exc
    if current == SCHEMA_HEAD:
        return
    # Alembic is needed from here on only.
    from alembic import command  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415
    from alembic.util.exc import CommandError  # noqa: PLC0415

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    if current is None and tables and not tables & _OUR_TABLES:
        raise DatabaseCorrupt(
            f"{database.label} belongs to another program (it has tables such as "
            f"'{sorted(tables)[0]}'), not to {APP_NAME}.",
            hint="Choose another file or database with --db; this one was left untouched.",
        )
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError as exc:
            raise DatabaseTooNew(
                f"{database.label} was upgraded by a newer version of {APP_NAME} "
                f"(schema {current}); this version knows schemas up to {head}.",
                hint=f"Install the newer {APP_NAME} to open these books; they were left untouched.",
            ) from exc
    if current == head:
        return
    if database.read_only:
        raise DatabaseReadOnly(
            f"The books in {database.label} need a schema upgrade but were opened read-only.",
            hint="Open them without mode=ro, from a folder you can write to.",
        )
    if database.sqlite_path is not None and (current is not None or tables):
        database.backup_path = backup_sqlite(database.sqlite_path)
    try:
        writer = database.engine.execution_options(bookkeeper_write=True)
        with writer.connect() as connection, connection.begin():
            command.upgrade(alembic_config(connection), "head")
    except DBAPIError as exc:
        translated = translate_error(exc, database.label)
        if isinstance(translated, DatabaseLocked | DatabaseReadOnly):
            # Nothing was changed (the upgrade never got the write lock): say why, plainly.
            raise translated from exc
        raise _migration_failed(database, exc) from exc
    except (SQLAlchemyError, CommandError, sqlite3.Error) as exc:
        raise _migration_failed(database, exc) from exc


def _migration_failed(database: Database, exc: BaseException) -> MigrationFailed:
    backup = database.backup_path
    where = f" An untouched copy is at {backup}." if backup else ""
    return MigrationFailed(
        f"Upgrading the books in {database.label} failed: {_first_line(exc)}.{where}",
        backup_path=str(backup) if backup else None,
        hint="Keep that copy; report the problem with this message.",
    )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def backup_sqlite(path: Path) -> Path:
    """Copy the SQLite file (with anything still in its WAL) to a timestamped file beside it,
    using SQLite's online backup so that the copy is consistent."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.backup-{stamp}-{counter}")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise MigrationFailed(
            f"Could not back up {path} before upgrading it ({exc}); nothing was changed.",
            hint="Check there is free space and that the folder can be written.",
        ) from exc
    return target


def schema_revision(database: Database) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    with database.engine.connect() as connection:
        revision, _tables = _read_revision(connection, database.label)
        connection.rollback()
        return revision
