"""Undo a sync run against the sandboxes: what the run created at QBO / Xero is taken back there
(checked in the sandbox's own state), our entries show as not sent, a bank transfer (which Xero's
API cannot delete) is listed as not undone, and the next sync sends the entries once again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.sync.lease import Lease, SyncBusy
from bookkeeper_desktop.sync.undo import plan_undo, undo_run
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries, pushed_copies, state, sync


def _xero_records(books: Books, collection: str) -> list[dict[str, Any]]:
    return list(state(books)["api"]["tenants"][books.tenant]["records"][collection].values())


def test_undo_a_qbo_run_deletes_its_journals_and_the_next_sync_sends_them_again(
        qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    earlier = make_entries(qbo, 3)
    assert sync(qbo).ok
    made = make_entries(qbo, 4, start=10)
    run = sync(qbo)
    assert run.counts["pushed"] == 4
    plan = plan_undo(qbo.db, qbo.company_id, run.run_id)
    assert {i.entry_id for i in plan.items} == set(made)
    assert all(line.endswith("delete in QuickBooks Online") for line in plan.describe())
    with qbo.client() as client:
        result = undo_run(qbo.db, qbo.company_id, plan, client)
    assert (result.undone, result.failed) == (4, [])
    assert pushed_copies(qbo) == dict.fromkeys(earlier, 1)  # only the earlier run's remain
    for entry in entry_service.get_entries(qbo.db, qbo.company_id, made):
        assert entry.qbo_id is None
    with pytest.raises(ValidationError, match="already undone"):
        plan_undo(qbo.db, qbo.company_id, run.run_id)
    again = sync(qbo)
    assert again.counts["pushed"] == 4
    assert pushed_copies(qbo) == dict.fromkeys(earlier + made, 1)


def test_undo_a_xero_run_voids_and_deletes_by_kind(xero: Books) -> None:
    assert sync(xero, push=False).ok
    codes = {m.remote_code: a for a, m in mapping_by_account(
        xero.db, xero.company_id, "xero", confirmed_only=True).items()}

    def post(number: str, *lines: tuple[int, str, str]) -> int:
        return entry_service.bulk_insert_entries(xero.db, xero.company_id, [JournalEntry(
            date=dt.date(2026, 11, 4), number=number, currency="NZD", status=EntryStatus.POSTED,
            lines=tuple(JournalLine.of(a, Decimal(v), contact=c) for a, v, c in lines))])[0]
    spend = post("SP-1", (codes["469"], "12.00", "City Landlord"), (codes["090"], "-12.00", ""))
    invoice = post("IN-1", (codes["610"], "70.00", "Bayside Club"), (codes["200"], "-70.00", ""))
    payment = post("PA-1", (codes["090"], "70.00", ""), (codes["610"], "-70.00", "Bayside Club"))
    journal = post("AC-1", (codes["469"], "5.00", ""), (codes["814"], "-5.00", ""))
    run = sync(xero)
    assert run.counts["pushed"] == 4
    plan = plan_undo(xero.db, xero.company_id, run.run_id)
    assert plan.items[0].entry_id == payment  # the payment before the invoice it settles
    with xero.client() as client:
        result = undo_run(xero.db, xero.company_id, plan, client)
    assert (result.undone, result.failed) == (4, [])

    def status_of(collection: str, entry_id: int) -> list[str]:
        marker = f"[bk:xero{xero.company_id}-{entry_id}-"
        return [str(r["Status"]) for r in _xero_records(xero, collection)
                if marker in str(r.get("Reference") or r.get("Narration") or "")]
    assert status_of("BankTransactions", spend) == ["DELETED"]
    assert status_of("Payments", payment) == ["DELETED"]
    assert status_of("Invoices", invoice) == ["VOIDED"]
    assert status_of("ManualJournals", journal) == ["VOIDED"]
    for entry in entry_service.get_entries(xero.db, xero.company_id,
                                           [spend, invoice, payment, journal]):
        assert entry.xero_id is None
    again = sync(xero)
    assert again.counts["pushed"] == 4, again.counts["waiting"]


def test_undo_waits_for_no_sync_a_running_sync_refuses_it(qbo: Books) -> None:
    """A sync in progress (here: its lease held) and an undo never interleave: the undo is
    refused with who holds it, nothing is taken back, and it works once the sync is over."""
    assert sync(qbo, push=False).ok
    make_entries(qbo, 2)
    run = sync(qbo)
    plan = plan_undo(qbo.db, qbo.company_id, run.run_id)
    running = Lease(qbo.db, qbo.company_id, "qbo")
    running.take()
    with qbo.client() as client, pytest.raises(SyncBusy, match="Another sync"):
        undo_run(qbo.db, qbo.company_id, plan, client)
    assert len(plan_undo(qbo.db, qbo.company_id, run.run_id).doable) == 2
    running.release()
    with qbo.client() as client:
        assert undo_run(qbo.db, qbo.company_id, plan, client).undone == 2
