"""Test-wide set-up shared by every area.

- Qt runs offscreen (no display needed) and reads no user settings.
- The app's data folder is a temporary one: tests never touch the user's real books or keychain
  files.
- `shared_fixtures` gives the folder of real files written by other programs (`../shared/fixtures`)
  and skips the test cleanly when it is absent (a user's fresh clone has no `../shared`).
- `pg_url` gives the URL of the real PostgreSQL server `.ci/run` starts (BOOKKEEPER_TEST_PG_URL) and
  skips when there is none; `sqlite_or_postgres` runs a test on a fresh SQLite file and on a
  fresh PostgreSQL schema (a module's `db` fixture returns it).
- `fresh_sqlite` opens this test's own SQLite file at the newest schema: a copy of one migrated
  once per session (per xdist worker), so each test does not run every migration again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from bookkeeper_desktop.storage.engine import Database, open_database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Qt warns when XDG_RUNTIME_DIR is unset; give it a private one so qt_log_level_fail stays strict.
if not os.environ.get("XDG_RUNTIME_DIR"):
    _runtime = Path("/tmp") / f"bookkeeper-test-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[Path]:
    """Every test gets its own app data folder and no database URL from the environment."""
    data_dir = tmp_path_factory.mktemp("appdata")
    monkeypatch.setenv("BOOKKEEPER_DATA_DIR", str(data_dir))
    monkeypatch.delenv("BOOKKEEPER_DB_URL", raising=False)
    return data_dir


@pytest.fixture(autouse=True)
def fresh_rate_budgets() -> None:
    """Every test starts with empty provider call budgets, as a fresh app run does.

    The budgets are process-wide, keyed by realm/tenant (`sync.clients.budget_for`), and every
    test's sandbox has the same realm and tenant ids: without this, calls made by earlier tests
    in the same worker fill the real-time Xero minute (60 calls), and a later test waited up to a
    minute for a window that its own sandbox never counted (which test paid depended on the order
    tests ran in, so on how pytest-xdist shared them out)."""
    from bookkeeper_desktop.sync.clients import forget_budgets

    forget_budgets()


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present (fresh clone); real-file tests skipped")
    return SHARED_FIXTURES


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("BOOKKEEPER_TEST_PG_URL")
    if not url:
        pytest.skip("no PostgreSQL server (BOOKKEEPER_TEST_PG_URL unset; ./dev.sh test starts one)")
    return url


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database brought to the newest schema by `open_database`, made once."""
    path = tmp_path_factory.mktemp("migrated") / "books.sqlite"
    database = open_database(f"sqlite:///{path}")
    database.checkpoint()
    database.close()
    return path


@pytest.fixture
def fresh_sqlite(migrated_sqlite_file: Path) -> Callable[[Path], Database]:
    """`fresh_sqlite(path)` opens a new database file at `path`, already at the newest schema.

    Opening an empty file migrates it (~0.1 s of CPU a test); a copy of `migrated_sqlite_file`
    is the same file, made by the same code once. The migrations themselves are tested from an
    empty file in tests/storage."""
    def open_copy(path: Path, **options: Any) -> Database:
        shutil.copyfile(migrated_sqlite_file, path)
        return open_database(f"sqlite:///{path}", **options)
    return open_copy


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sqlite_or_postgres(request: pytest.FixtureRequest, tmp_path: Path,
                       fresh_sqlite: Callable[..., Database]) -> Iterator[Database]:
    """An SQLite file, and (when BOOKKEEPER_TEST_PG_URL is set) a fresh PostgreSQL schema dropped
    afterwards: a test using it runs on both."""
    if request.param == "sqlite":
        database = fresh_sqlite(tmp_path / "books.sqlite")
        yield database
        database.close()
        return
    with pg_schema(request.getfixturevalue("pg_url")) as url:
        database = open_database(url)
        yield database
        database.close()


@contextlib.contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL database at `base`, dropped afterwards: the URL that
    makes it the search path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
