"""Helpers for the sync tests: run a sync, make entries to push, and read the sandbox's state the
way a test must (through `GET /__sandbox__/state`, not through our own client)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
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
         progress: Progress | None = None, parallel: int | None = None) -> SyncResult:
    with books.client(parallel=parallel) as client:
        return run_sync(books.db, books.company_id, books.provider, pull=pull, push=push,
                        progress=progress, client=client)


def watched_pull(books: Books, *, on_request: Callable[[httpx.Request], None],
                 on_response: Callable[[httpx.Response], None],
                 progress: Progress | None = None, parallel: int | None = None) -> SyncResult:
    """A pull-only sync whose HTTP client calls `on_request` as each request leaves and
    `on_response` as each answer comes (to record when pages were asked and answered)."""
    with books.client(parallel=parallel) as client:
        default = client.api.http
        client.api.http = httpx.Client(timeout=60.0, event_hooks={
            "request": [on_request], "response": [on_response]})
        default.close()
        return run_sync(books.db, books.company_id, books.provider, pull=True, push=False,
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


def mapped_accounts(books: Books, count: int = 2) -> list[int]:
    """Ids of our accounts with a confirmed mapping that a journal line can use: no bank,
    receivable or payable account, so that the entries go as journals at both providers (a bank
    line makes a Xero bank transaction or transfer; `core.kinds`)."""
    mappings = mapping_by_account(books.db, books.company_id, books.provider,
                                  confirmed_only=True)
    accounts = accounts_by_id(books.db, books.company_id)
    usable = [a for a in sorted(mappings) if accounts[a].active
              and accounts[a].account_class.value in ("expense", "asset", "income")
              and (books.provider == "qbo" or mappings[a].remote_code)
              and accounts[a].type.value not in ("accounts_receivable", "accounts_payable",
                                                 "bank", "credit_card")]
    return usable[:count]


def books_currency(books: Books) -> str:
    """The remote company's own currency (the QBO sandbox company is in USD, the Xero one in
    NZD): a Xero manual journal has none, so ours must be in the organisation's."""
    return "NZD" if books.provider == "xero" else "USD"


def make_entries(books: Books, count: int, *, status: EntryStatus = EntryStatus.POSTED,
                 start: int = 0) -> list[int]:
    debit, credit = mapped_accounts(books)
    made = [JournalEntry(
        date=dt.date(2026, 10, 1) + dt.timedelta(days=n % 28),
        lines=(JournalLine.of(debit, Decimal(f"{100 + n}.25"), description=f"line {n}"),
               JournalLine.of(credit, -Decimal(f"{100 + n}.25"))),
        number=f"S-{start + n}", memo=f"sync test {start + n}", status=status,
        currency=books_currency(books))
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


#: What the provider stamps on every write: compared apart from these.
_STAMPS = {"SyncToken", "MetaData", "UpdatedDateUTC", "CreatedDateUTC"}


def _strip_stamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_stamps(v) for k, v in value.items() if k not in _STAMPS}
    if isinstance(value, list):
        return [_strip_stamps(v) for v in value]
    return value


def live_objects(books: Books) -> dict[str, Any]:
    """The sandbox's journals as it stores them, live ones only (Xero keeps a voided journal
    as VOIDED: it cannot be deleted once posted)."""
    api = state(books)["api"]
    if books.provider == "qbo":
        objects = api["realms"][books.tenant]["objects"].get("JournalEntry", {})
    else:
        objects = api["tenants"][books.tenant]["records"]["ManualJournals"]
    return {k: _strip_stamps(v) for k, v in objects.items()
            if str(v.get("Status") or "") not in ("VOIDED", "DELETED")}


def run_with_creates_and_updates(books: Books) -> tuple[int, list[int], list[int],
                                                            dict[str, Any]]:
    """A first run sends 3 approved entries; then 2 are changed and 2 new ones made: the second
    run (returned with the changed and the created ids, and the sandbox's journals before it)
    updates 2 and creates 2."""
    assert sync(books, push=False).ok
    first = make_entries(books, 3, status=EntryStatus.APPROVED)
    assert sync(books).counts["pushed"] == 3
    before = live_objects(books)
    changed = first[:2]
    for entry in entry_service.get_entries(books.db, books.company_id, changed):
        entry_service.update_entry(books.db, books.company_id,
                                   entry.with_changes(memo=f"corrected {entry.number}"))
    entry_service.approve_entries(books.db, books.company_id, changed)
    created = make_entries(books, 2, status=EntryStatus.APPROVED, start=20)
    run = sync(books)
    assert (run.counts["pushed"], run.counts["push_updates"]) == (2, 2), run.counts
    assert live_objects(books) != before
    return run.run_id, changed, created, before
