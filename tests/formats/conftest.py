"""Format-test fixtures: the synthetic files in `data/` and a small ledger to export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.money import money

DATA = Path(__file__).resolve().parent / "data"
SHARED_IIF = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "iif"


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def real_iif(shared_fixtures: Path) -> Path:
    folder = shared_fixtures / "iif"
    if not folder.is_dir():
        pytest.skip("../shared/fixtures/iif is not present")
    return folder


def ledger_accounts() -> dict[int, Account]:
    accounts = [
        Account("Checking", AccountType.BANK, code="1000", id=1),
        Account("Accounts Receivable", AccountType.ACCOUNTS_RECEIVABLE, code="1200", id=2),
        Account("Expenses", AccountType.EXPENSE, code="6000", id=3),
        Account("Expenses:Travel", AccountType.EXPENSE, code="6100", id=4),
        Account("Expenses:Travel:Meals", AccountType.EXPENSE, code="6110", id=5),
        Account("Sales", AccountType.INCOME, code="4000", id=6),
        Account("Café Équipement", AccountType.FIXED_ASSET, code="1500", id=7),
        Account("Bank Charges", AccountType.EXPENSE, code=None, id=8),
    ]
    return {a.id: a for a in accounts if a.id is not None}


def xero_ledger_accounts() -> dict[int, Account]:
    """`ledger_accounts` as a Xero manual journal takes them: the bank account and the
    receivable (which Xero's manual journals refuse) become clearing accounts with the same
    codes, so the same entries can be written."""
    accounts = ledger_accounts()
    accounts[1] = accounts[1].with_changes(full_name="Clearing",
                                           type=AccountType.OTHER_CURRENT_ASSET)
    accounts[2] = accounts[2].with_changes(full_name="Receivable Clearing",
                                           type=AccountType.OTHER_CURRENT_ASSET)
    return accounts


def ledger_entries() -> list[JournalEntry]:
    """Four posted entries touching parents, subaccounts, a name with accents, commas, quotes,
    formula-like text and an A/R line with a customer."""
    return [
        JournalEntry(dt.date(2026, 1, 5), (
            JournalLine(5, debit=money("45.10"), description="Lunch, client \"A\""),
            JournalLine(1, credit=money("45.10"), description="=SUM(A1:A9)"),
        ), number="JE-1", memo="Meals", status=EntryStatus.POSTED, id=11),
        JournalEntry(dt.date(2026, 2, 28), (
            JournalLine(2, debit=money("1234.56"), contact="Smith, John"),
            JournalLine(6, credit=money("1234.56"), description="Invoice 7\tnet 30"),
        ), number="JE-2", memo="Sale — invoice 7", status=EntryStatus.POSTED, id=12),
        JournalEntry(dt.date(2026, 3, 1), (
            JournalLine(7, debit=money("999.99"), description="Espresso machine ☕"),
            JournalLine(4, debit=money("0.01")),
            JournalLine(1, credit=money("1000.00"), description="-payment"),
        ), number="JE-3", memo="+equipment", status=EntryStatus.POSTED, id=13),
        JournalEntry(dt.date(2026, 12, 31), (
            JournalLine(3, debit=money("10.00"), tracking="Region:North"),
            JournalLine(1, credit=money("10.00")),
        ), number="JE-4", memo="@year end", status=EntryStatus.POSTED, id=14),
    ]
