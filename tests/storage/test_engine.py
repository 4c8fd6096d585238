"""Opening databases: migrations from empty, upgrades with a backup, and every way a database can
be unusable (locked, read-only, corrupt, too new, someone else's), each for real."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bookkeeper_desktop.core.errors import (
    ConfigurationError,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    MigrationFailed,
    StorageError,
)
from bookkeeper_desktop.services import companies
from bookkeeper_desktop.storage.engine import (
    SCHEMA_HEAD,
    Database,
    alembic_config,
    head_revision,
    open_database,
    schema_revision,
)
from bookkeeper_desktop.storage.schema import Base


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sqlite_at(path: Path, revision: str) -> None:
    """An SQLite file migrated only up to `revision`, as an older release would have left it."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    engine.dispose()


# --- both databases ----------------------------------------------------------------------------


def test_migrates_an_empty_database_to_the_schema_of_the_code(db: Database) -> None:
    assert schema_revision(db) == head_revision()
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        views = set(inspect(connection).get_view_names())
    assert differences == []
    assert {"qbo_export_log", "xero_export_log"} <= views


def test_reopening_a_current_database_runs_no_migration_and_makes_no_backup(
    db_url: str, db: Database,
) -> None:
    companies.create_company(db, "Kept")
    again = open_database(db_url)
    try:
        assert again.backup_path is None
        assert [c.name for c in companies.list_companies(again)] == ["Kept"]
    finally:
        again.close()


def test_a_newer_schema_is_refused_and_left_untouched(db_url: str, db: Database) -> None:
    with db.session() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'zzzz_from_the_future'"))
    db.close()
    before = _digest(db.sqlite_path) if db.sqlite_path else None
    with pytest.raises(DatabaseTooNew, match="newer version") as caught:
        open_database(db_url)
    if db.sqlite_path:
        assert _digest(db.sqlite_path) == before
    assert "Install the newer" in (caught.value.hint or "")
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")
                                  ).scalar_one() == "zzzz_from_the_future"
    engine.dispose()


def test_a_write_while_another_program_holds_the_lock_raises_database_locked(
    db_url: str, db: Database,
) -> None:
    """A second connection holds a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
    exclusive table lock); our write waits the busy timeout, then says the books are in use."""
    other = create_engine(db_url)
    with other.connect() as holder:
        if db.is_sqlite:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
            holder.exec_driver_sql("INSERT INTO companies (name, currency, created_at, updated_at)"
                                   " VALUES ('Other', 'USD', '2026-01-01', '2026-01-01')")
        else:
            holder.execute(text("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(DatabaseLocked, match="in use by another program"):
            companies.create_company(db, "Blocked")
        holder.rollback()
    other.dispose()
    # Once the other program lets go, the same write works.
    assert companies.create_company(db, "Unblocked").name == "Unblocked"


# --- PostgreSQL only -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_read_only_session_raises_database_read_only(pg_database: str) -> None:
    url = f"{pg_database}?options=-cdefault_transaction_read_only%3Don"
    writable = open_database(pg_database)  # migrate first
    writable.close()
    db = open_database(url)
    try:
        assert companies.list_companies(db) == []
        with pytest.raises(DatabaseReadOnly):
            companies.create_company(db, "Nope")
    finally:
        db.close()


# --- SQLite only --------------------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'b.sqlite'}")
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        db.close()


def test_default_database_lives_in_the_data_folder(isolated_data_dir: Path) -> None:
    db = open_database()
    try:
        assert db.sqlite_path == isolated_data_dir / "books.sqlite"
        assert db.sqlite_path.exists()
    finally:
        db.close()


def test_environment_variable_selects_the_database(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("BOOKKEEPER_DB_URL", f"sqlite:///{target}")
    db = open_database()
    db.close()
    assert db.sqlite_path == target
    assert target.exists()


def test_upgrading_an_older_file_backs_it_up_first_and_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "books.sqlite"
    _sqlite_at(path, "0001_ledger")
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO companies (name, currency, created_at, updated_at) "
                "VALUES ('Old Books', 'USD', '2025-01-01', '2025-01-01')")
    raw.commit()
    raw.close()

    db = open_database(f"sqlite:///{path}")
    try:
        assert db.backup_path is not None
        assert db.backup_path.parent == tmp_path
        assert db.backup_path.name.startswith("books.sqlite.backup-")
        assert [c.name for c in companies.list_companies(db)] == ["Old Books"]
        assert schema_revision(db) == head_revision()
    finally:
        db.close()
    backup = sqlite3.connect(db.backup_path)
    assert backup.execute("SELECT version_num FROM alembic_version").fetchall() == [
        ("0001_ledger",)]
    assert backup.execute("SELECT name FROM companies").fetchall() == [("Old Books",)]
    backup.close()


def test_a_new_empty_file_needs_no_backup(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    db.close()
    assert db.backup_path is None
    assert [p.name for p in tmp_path.iterdir() if ".backup-" in p.name] == []


def test_a_failed_migration_keeps_the_backup_and_says_where_it_is(tmp_path: Path) -> None:
    """The books were left at 0001 and something already occupies a name 0002 creates: the
    upgrade fails, the message names the backup, the backup holds the data, and the file itself
    is rolled back to what it was."""
    path = tmp_path / "books.sqlite"
    _sqlite_at(path, "0001_ledger")
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO companies (name, currency, created_at, updated_at) "
                "VALUES ('Precious', 'USD', '2025-01-01', '2025-01-01')")
    raw.execute("CREATE VIEW connections AS SELECT 1 AS id")
    raw.commit()
    raw.close()

    with pytest.raises(MigrationFailed) as caught:
        open_database(f"sqlite:///{path}")
    backup = caught.value.backup_path
    assert backup is not None
    assert Path(backup).exists()
    assert backup in caught.value.message
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT name FROM companies").fetchall() == [("Precious",)]
    copy.close()
    original = sqlite3.connect(path)
    assert original.execute("SELECT version_num FROM alembic_version").fetchall() == [
        ("0001_ledger",)]
    assert original.execute("SELECT name FROM companies").fetchall() == [("Precious",)]
    original.close()


def test_an_upgrade_blocked_by_another_writer_says_locked_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "books.sqlite"
    _sqlite_at(path, "0001_ledger")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseLocked):
            open_database(f"sqlite:///{path}", busy_timeout_ms=100)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    check = sqlite3.connect(path)
    assert check.execute("SELECT version_num FROM alembic_version").fetchall() == [
        ("0001_ledger",)]
    check.close()
    db = open_database(f"sqlite:///{path}")  # and once the other writer is gone, it upgrades
    try:
        assert schema_revision(db) == head_revision()
    finally:
        db.close()


def test_a_garbage_file_is_refused_as_corrupt_and_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "books.sqlite"
    path.write_bytes(b"This is a spreadsheet, honestly.\n" * 200)
    before = _digest(path)
    with pytest.raises(DatabaseCorrupt, match="not an SQLite database"):
        open_database(f"sqlite:///{path}")
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["books.sqlite"]


def test_a_damaged_database_is_refused_as_corrupt_and_not_touched(tmp_path: Path) -> None:
    """A real SQLite header followed by garbage: SQLite itself reports the damage."""
    path = tmp_path / "books.sqlite"
    db = open_database(f"sqlite:///{path}")
    companies.create_company(db, "Soon damaged")
    db.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # the rest of page 1: the schema table
    path.write_bytes(bytes(data))
    before = _digest(path)
    with pytest.raises(DatabaseCorrupt):
        open_database(f"sqlite:///{path}")
    assert _digest(path) == before


def test_another_programs_sqlite_file_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    raw.commit()
    raw.close()
    before = _digest(path)
    with pytest.raises(DatabaseCorrupt, match="another program"):
        open_database(f"sqlite:///{path}")
    assert _digest(path) == before


def test_read_only_mode_reads_but_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "books.sqlite"
    db = open_database(f"sqlite:///{path}")
    companies.create_company(db, "Archive")
    db.close()
    before = _digest(path)
    ro = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        assert ro.read_only
        assert [c.name for c in companies.list_companies(ro)] == ["Archive"]
        with pytest.raises(DatabaseReadOnly, match="read-only"):
            companies.create_company(ro, "New")
    finally:
        ro.close()
    assert _digest(path) == before


def test_read_only_mode_refuses_a_database_that_needs_upgrading(tmp_path: Path) -> None:
    path = tmp_path / "books.sqlite"
    _sqlite_at(path, "0001_ledger")
    before = _digest(path)
    with pytest.raises(DatabaseReadOnly, match="need a schema upgrade"):
        open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert _digest(path) == before


def _without_root_powers() -> list[str] | None:
    """A command prefix under which file permissions hold: nothing for a normal user; for root,
    `setpriv` dropping the capabilities that let root ignore them (None if unavailable)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_read_only_file_or_folder_is_refused_and_left_alone(tmp_path: Path, locked: str
                                                              ) -> None:
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    folder = tmp_path / "books"
    folder.mkdir()
    path = folder / "books.sqlite"
    db = open_database(f"sqlite:///{path}")
    companies.create_company(db, "Read Only Ltd")
    db.close()
    before = _digest(path)
    probe = (
        "from bookkeeper_desktop.storage import open_database\n"
        "from bookkeeper_desktop.core.errors import BookkeeperError\n"
        "try:\n"
        f"    open_database({f'sqlite:///{path}'!r})\n"
        "    print('opened')\n"
        "except BookkeeperError as exc:\n"
        "    print(type(exc).__name__, '|', exc)\n"
    )
    if locked == "file":
        path.chmod(0o444)
    else:
        folder.chmod(0o555)  # SQLite needs to write its journal beside the file
    try:
        result = subprocess.run([*prefix, sys.executable, "-c", probe], capture_output=True,
                                text=True, timeout=60, check=True)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    kind, _, message = result.stdout.partition(" | ")
    assert kind == "DatabaseReadOnly", result.stdout + result.stderr
    assert "read-only" in message
    assert "mode=ro" in message  # says how to open it just to read
    assert _digest(path) == before


def test_the_recorded_head_matches_the_migration_scripts() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_opening_current_books_does_not_load_alembic(tmp_path: Path) -> None:
    """Start-up stays quick: Alembic is imported only when there is something to migrate."""
    path = tmp_path / "books.sqlite"
    open_database(f"sqlite:///{path}").close()
    probe = (
        "import sys\n"
        "from bookkeeper_desktop.storage import open_database\n"
        f"db = open_database({f'sqlite:///{path}'!r})\n"
        "from bookkeeper_desktop.services import companies\n"
        "companies.list_companies(db)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_a_missing_folder_is_not_created_for_an_explicit_path(tmp_path: Path) -> None:
    target = tmp_path / "typo" / "books.sqlite"
    with pytest.raises(StorageError, match="does not exist"):
        open_database(f"sqlite:///{target}")
    assert not (tmp_path / "typo").exists()


def test_unsupported_databases_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not a database we support"):
        open_database("mysql://someone:secret@db.example/books")


def test_an_unreachable_server_is_a_clear_error() -> None:
    """No server needed: nothing listens on port 1."""
    with pytest.raises(StorageError, match="Cannot reach the database server") as caught:
        open_database("postgresql+psycopg://postgres:hunter2@127.0.0.1:1/books")
    assert "hunter2" not in str(caught.value)
