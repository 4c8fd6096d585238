"""Storage fixtures: every `db` test runs on SQLite and, when BOOKKEEPER_TEST_PG_URL is set, on
the real PostgreSQL server too (one database made for the session, a fresh schema per test)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.services import accounts, companies
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.storage.records import Company
from tests.conftest import pg_schema


@pytest.fixture(scope="session")
def pg_database(pg_url: str) -> Iterator[str]:
    """A database of its own for this test session on the PostgreSQL server; dropped at the end."""
    name = f"bookkeeper_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    """A URL to an empty database: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'books.sqlite'}"
        return
    with pg_schema(request.getfixturevalue("pg_database")) as url:
        yield url


@pytest.fixture
def db(db_url: str, fresh_sqlite: Callable[..., Database]) -> Iterator[Database]:
    sqlite_file = make_url(db_url).database if db_url.startswith("sqlite") else None
    database = (fresh_sqlite(Path(sqlite_file), busy_timeout_ms=200) if sqlite_file
                else open_database(db_url, busy_timeout_ms=200))
    yield database
    database.close()


@pytest.fixture
def company(db: Database) -> Company:
    return companies.create_company(db, "Test Books", actor="tester")


@pytest.fixture
def chart(db: Database, company: Company) -> dict[str, Account]:
    """A small stored chart by code: 1000 bank, 1100 A/R, 2000 A/P, 4000 income, 6000 expense,
    6000:6010 a subaccount, 9000 non-posting."""
    from bookkeeper_desktop.core.accounts import AccountType as T

    stored = accounts.add_accounts(db, company.id, [
        Account("Checking", T.BANK, code="1000"),
        Account("Receivables", T.ACCOUNTS_RECEIVABLE, code="1100"),
        Account("Payables", T.ACCOUNTS_PAYABLE, code="2000"),
        Account("Sales", T.INCOME, code="4000"),
        Account("Office", T.EXPENSE, code="6000"),
        Account("Office:Software", T.EXPENSE, code="6010"),
        Account("Purchase Orders", T.NON_POSTING, code="9000"),
    ], actor="tester")
    return {a.code or "": a for a in stored}
