"""Service fixtures: a real SQLite database with the sample company (its chart and a few months
of entries ending before the statements' November 2026)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bookkeeper_desktop import sample_data
from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import Company

STATEMENTS = Path(__file__).resolve().parents[1] / "formats" / "statements" / "data"


@pytest.fixture
def db(tmp_path: Path, fresh_sqlite: Callable[[Path], Database]) -> Iterator[Database]:
    database = fresh_sqlite(tmp_path / "books.sqlite")
    yield database
    database.close()


@pytest.fixture
def company(db: Database) -> Company:
    return sample_data.create_sample_company(db, "Sample Company", entries=40,
                                             end=dt.date(2026, 10, 15), actor="tester")


@pytest.fixture
def chart(db: Database, company: Company) -> dict[str, Account]:
    """The sample chart by code."""
    return {a.code or a.full_name: a for a in account_services.list_accounts(db, company.id)}


@pytest.fixture
def statements_dir() -> Path:
    return STATEMENTS
