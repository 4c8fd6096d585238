"""Undo of a run that created some entries and changed others, at both sandboxes: the sandbox
holds what it held before the run (its stored objects compared, versions and times aside), the
created entries show as not sent, the changed ones as "changed since sent" (and go again at the
next sync), a second undo is refused; the provider refusing one take-back leaves the rest
undone and that one listed with why; a connection dropped mid-undo is finished by undoing
again, nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from bookkeeper_desktop.core.errors import NetworkError, ValidationError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.not_sent import ledger_sync_text
from bookkeeper_desktop.sync.undo import REVERT, plan_undo, undo_run
from tests.sync.conftest import Books
from tests.sync.helpers import live_objects, run_with_creates_and_updates, state, sync


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_undo_leaves_the_provider_as_before_the_run(provider: str,
                                                    request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    run_id, changed, created, before = run_with_creates_and_updates(books)
    with books.client() as client:
        plan = plan_undo(books.db, books.company_id, run_id, client)
        assert plan.checked_remotely
        assert plan.count(REVERT) == 2, plan.describe()
        assert not plan.not_doable, plan.describe()
        result = undo_run(books.db, books.company_id, plan, client)
    assert (result.undone, result.reverted, result.failed) == (4, 2, [])
    assert live_objects(books) == before

    summaries = entry_service.summaries_by_id(books.db, books.company_id, changed + created)
    texts = ledger_sync_text(books.db, books.company_id, list(summaries.values()))
    short = "QBO" if provider == "qbo" else "Xero"
    for entry_id in created:
        assert texts[entry_id] == f"{short}: not sent yet"
    for entry_id in changed:
        assert texts[entry_id] == f"{short}: changed since sent"
        assert entry_service.get_entry(books.db, books.company_id, entry_id).memo \
            .startswith("corrected")  # our text is kept
    with pytest.raises(ValidationError, match="already undone"):
        plan_undo(books.db, books.company_id, run_id)
    again = sync(books)
    assert (again.counts["pushed"], again.counts["push_updates"]) == (2, 2), again.counts


def test_a_refused_take_back_is_listed_and_the_rest_undone(xero: Books) -> None:
    run_id, _changed, created, _before = run_with_creates_and_updates(xero)
    plan = plan_undo(xero.db, xero.company_id, run_id)
    # Someone locks the period at Xero: nothing dated in it may change any more.
    xero.sandbox.api.set_lock_dates(xero.tenant, period=_day_of_entry(xero, created[0]))
    with xero.client() as client:
        result = undo_run(xero.db, xero.company_id, plan, client)
    assert result.failed
    assert "lock date" in result.failed[0], result.failed
    assert result.undone == 4 - len(result.failed)
    assert "could not be" in result.summary
    # Not marked undone: once the lock is lifted, undoing again finishes what was refused.
    xero.sandbox.api.set_lock_dates(xero.tenant, period=None)
    again = plan_undo(xero.db, xero.company_id, run_id)
    assert len(again.doable) == len(result.failed)
    with xero.client() as client:
        assert undo_run(xero.db, xero.company_id, again, client).failed == []


def _day_of_entry(books: Books, entry_id: int) -> Any:
    return entry_service.get_entry(books.db, books.company_id, entry_id).date


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_connection_dropped_mid_undo_is_finished_by_undoing_again(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    run_id, _changed, _created, before = run_with_creates_and_updates(books)
    plan = plan_undo(books.db, books.company_id, run_id)
    # Every write is committed by the provider and then the connection drops before its answer
    # (through the client's retries, which the provider answers from its idempotency store).
    books.sandbox.drop_next(None, after_commit=True, path=_WRITES[provider], method="POST")
    with books.client() as client, pytest.raises(NetworkError):
        undo_run(books.db, books.company_id, plan, client)
    books.sandbox.clear_faults()
    rest = plan_undo(books.db, books.company_id, run_id)
    assert len(rest.doable) == 4  # we do not know yet what arrived
    with books.client() as client:
        result = undo_run(books.db, books.company_id, rest, client)
    assert (result.undone, result.failed) == (4, [])
    assert live_objects(books) == before  # nothing taken back or sent back twice


_WRITES = {"qbo": "/batch", "xero": "/ManualJournals"}


def test_undo_sends_back_a_changed_xero_bank_transaction_and_invoice(xero: Books) -> None:
    """Real Xero edits an unreconciled bank transaction and an unpaid invoice (the sandbox's
    `EDITABLE` rule): a run that changed both is undone by sending their earlier versions."""
    assert sync(xero, push=False).ok
    codes = {m.remote_code: a for a, m in mapping_by_account(
        xero.db, xero.company_id, "xero", confirmed_only=True).items()}

    def approved(number: str, *lines: tuple[int, str, str]) -> int:
        return entry_service.bulk_insert_entries(xero.db, xero.company_id, [JournalEntry(
            date=dt.date(2026, 11, 4), number=number, memo=f"memo {number}", currency="NZD",
            status=EntryStatus.APPROVED,
            lines=tuple(JournalLine.of(a, Decimal(v), contact=c) for a, v, c in lines))])[0]
    spend = approved("SP-1", (codes["469"], "12.00", "City Landlord"),
                     (codes["090"], "-12.00", ""))
    invoice = approved("IN-1", (codes["610"], "70.00", "Bayside Club"),
                       (codes["200"], "-70.00", ""))
    assert sync(xero).counts["pushed"] == 2
    before = {c: _documents(xero, c) for c in ("BankTransactions", "Invoices")}
    for entry in entry_service.get_entries(xero.db, xero.company_id, [spend, invoice]):
        entry_service.update_entry(xero.db, xero.company_id, entry.with_changes(
            memo=f"corrected {entry.number}",
            lines=tuple(replace(line, debit=line.debit * 2, credit=line.credit * 2)
                        for line in entry.lines)))
    entry_service.approve_entries(xero.db, xero.company_id, [spend, invoice])
    run = sync(xero)
    assert run.counts["push_updates"] == 2, run.counts
    assert {c: _documents(xero, c) for c in before} != before
    with xero.client() as client:
        plan = plan_undo(xero.db, xero.company_id, run.run_id, client)
        assert [i.kind_name for i in plan.items] == ["Spend Money", "Invoice"]
        result = undo_run(xero.db, xero.company_id, plan, client)
    assert (result.reverted, result.failed) == (2, [])
    after = {c: _documents(xero, c) for c in before}
    for collection, docs in before.items():
        assert after[collection] == docs, "\n".join([collection, *docs, *after[collection]])


def _documents(books: Books, collection: str) -> list[Any]:
    """Our documents at the sandbox, their content only (ids, stamps and the ledger aside)."""
    records = state(books)["api"]["tenants"][books.tenant]["records"][collection].values()
    keep = ("Type", "Status", "Reference", "InvoiceNumber", "Total", "Date", "LineItems")
    def content(record: dict[str, Any]) -> dict[str, Any]:
        body = {k: record.get(k) for k in keep}
        body["LineItems"] = [{k: v for k, v in line.items() if k != "LineItemID"}
                             for line in body["LineItems"] or []]
        return body
    return sorted(json.dumps(content(r), sort_keys=True, default=str)
                   for r in records if "[bk:" in str(r.get("Reference") or "")
                   + str(r.get("InvoiceNumber") or ""))


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_what_changed_at_the_provider_since_the_run_is_not_undone(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    run_id, changed, _created, _before = run_with_creates_and_updates(books)
    plan = plan_undo(books.db, books.company_id, run_id)
    edited = next(i for i in plan.items if i.entry_id == changed[0])
    collection = "JournalEntry" if provider == "qbo" else "ManualJournals"
    note = {"PrivateNote": "edited at QBO"} if provider == "qbo" else {"Narration": "edited"}
    books.sandbox.api.remote_edit(books.tenant, collection, edited.remote_id, note)
    with books.client() as client:
        checked = plan_undo(books.db, books.company_id, run_id, client)
        [kept] = checked.not_doable
        assert kept.entry_id == changed[0]
        assert "since this sync: undoing it would lose that change" in kept.why
        result = undo_run(books.db, books.company_id, checked, client)
    assert (result.undone, len(result.not_undone)) == (3, 1)
    assert "could not be" in result.summary
    current = next(o for o in books.sandbox.api.objects(books.tenant, collection)
                   if str(o.get("Id") or o.get("ManualJournalID")) == edited.remote_id)
    assert next(iter(note.values())) in str(current)  # the provider's change is kept
