"""Helpers for the sync tests: run a sync, make entries to push, and read the sandbox's state the
way a test must (through `GET /__sandbox__/state`, not through our own client)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.accounts import accounts_by_id
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync import SyncResult, run_sync
from bookkeeper_desktop.storage.schema import JournalEntryRow, RemoteObjectRow
from bookkeeper_desktop.sync.payloads import key_in
from tests.sync.conftest import Books


def sync(books: Books, *, pull: bool = True, push: bool = True,
         progress: Progress | None = None) -> SyncResult:
    with books.client() as client:
        return run_sync(books.db, books.company_id, books.provider, pull=pull, push=push,
                        progress=progress, client=client)


def state(books: Books) -> dict[str, Any]:
    answer = httpx.get(f"{books.sandbox.base_url}/__sandbox__/state", timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def remote_journals(books: Books, *, live_only: bool = True) -> list[dict[str, Any]]:
    """QBO JournalEntries / Xero ManualJournals as the sandbox holds them."""
    api = state(books)["api"]
    if books.provider == "qbo":
        return list(api["realms"][books.tenant]["objects"].get("JournalEntry", {}).values())
    rows = list(api["tenants"][books.tenant]["records"]["ManualJournals"].values())
    return [r for r in rows if not live_only or r.get("Status") not in ("DELETED", "VOIDED")]


def note(books: Books, journal: dict[str, Any]) -> str:
    return str(journal.get("PrivateNote") if books.provider == "qbo" else journal.get("Narration"))


def pushed_copies(books: Books) -> Counter[int]:
    """Our entry id → how many remote journals carry its key (must be exactly 1 each)."""
    found: Counter[int] = Counter()
    for journal in remote_journals(books):
        key = key_in(note(books, journal) or "")
        if key and key.startswith(f"{books.provider}{books.company_id}-"):
            found[int(key.split("-")[1])] += 1
    return found


#: Account types real Xero refuses in a manual journal (API_NOTES.md business rules: bank and
#: credit-card bank accounts; receivables and payables are locked system accounts).
_NOT_IN_A_XERO_JOURNAL = ("bank", "credit_card")


def mapped_accounts(books: Books, count: int = 2) -> list[int]:
    """Ids of our accounts with a confirmed mapping that a journal line can use (for Xero, only
    accounts a real Xero manual journal accepts)."""
    mappings = mapping_by_account(books.db, books.company_id, books.provider,
                                  confirmed_only=True)
    accounts = accounts_by_id(books.db, books.company_id)
    usable = [a for a in sorted(mappings) if accounts[a].active
              and accounts[a].account_class.value in ("expense", "asset", "income")
              and (books.provider == "qbo" or mappings[a].remote_code)
              and accounts[a].type.value not in ("accounts_receivable", "accounts_payable")
              and (books.provider == "qbo"
                   or accounts[a].type.value not in _NOT_IN_A_XERO_JOURNAL)]
    return usable[:count]


def make_entries(books: Books, count: int, *, status: EntryStatus = EntryStatus.POSTED,
                 start: int = 0) -> list[int]:
    debit, credit = mapped_accounts(books)
    made = [JournalEntry(
        date=dt.date(2026, 10, 1) + dt.timedelta(days=n % 28),
        lines=(JournalLine.of(debit, Decimal(f"{100 + n}.25"), description=f"line {n}"),
               JournalLine.of(credit, -Decimal(f"{100 + n}.25"))),
        number=f"S-{start + n}", memo=f"sync test {start + n}", status=status)
        for n in range(count)]
    return entry_service.bulk_insert_entries(books.db, books.company_id, made)


def local_entries(books: Books) -> int:
    with books.db.read_session() as session:
        return int(session.execute(select(func.count()).select_from(JournalEntryRow).where(
            JournalEntryRow.company_id == books.company_id)).scalar_one())


def remote_rows(books: Books) -> Counter[tuple[str, str]]:
    with books.db.read_session() as session:
        return Counter((kind, rid) for kind, rid in session.execute(
            select(RemoteObjectRow.object_type, RemoteObjectRow.remote_id).where(
                RemoteObjectRow.company_id == books.company_id)))

