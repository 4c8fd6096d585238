"""Shared fixtures of the Ledger and Export pane tests (no tests here): a real SQLite database
with the sample company, built once per session and copied for each test, and an `AppContext`
with a real job runner on it."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.sample_data import create_sample_company
from bookkeeper_desktop.storage.engine import Database, open_database

#: The sample books end here, so dates in the tests do not move with the calendar.
SAMPLE_END = dt.date(2026, 6, 30)
SAMPLE_ENTRIES = 240


@pytest.fixture(scope="session")
def sample_books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A database file holding the sample company (built once), and the company's id."""
    path = tmp_path_factory.mktemp("sample-books") / "books.sqlite"
    database = open_database(f"sqlite:///{path}")
    company = create_sample_company(database, "Sample Co", entries=SAMPLE_ENTRIES,
                                    end=SAMPLE_END)
    database.checkpoint()
    database.close()
    return path, company.id


@pytest.fixture
def db(tmp_path: Path, sample_books: tuple[Path, int]) -> Iterator[Database]:
    """This test's own copy of the sample books."""
    copy = tmp_path / "books.sqlite"
    shutil.copy(sample_books[0], copy)
    database = open_database(f"sqlite:///{copy}")
    yield database
    database.close()


@pytest.fixture
def company_id(sample_books: tuple[Path, int]) -> int:
    return sample_books[1]


@pytest.fixture
def ctx(db: Database, company_id: int) -> Iterator[AppContext]:
    jobs = JobRunner()
    context = AppContext(AppServices(db), jobs, company_id=company_id)
    yield context
    assert jobs.shutdown()


@pytest.fixture
def pg_books(pg_url: str) -> Iterator[tuple[Database, int]]:
    """The sample company in a database of its own on the real PostgreSQL server."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bookkeeper_gui_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    database = open_database(url)
    try:
        company = create_sample_company(database, "Sample Co", entries=80, end=SAMPLE_END)
        yield database, company.id
    finally:
        database.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
