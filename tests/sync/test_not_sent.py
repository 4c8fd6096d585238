"""Results that tell the truth (issue #12 item 3): a run that leaves entries unsent ends "needs
attention" with exact counts per reason, every such entry is in the Not sent list with its reason
and the one action that fixes it (unmapped ones too), and the run's summary is what the sync log
keeps. Against the real loopback QBO sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.gui.ledger.services_source import read_entry_ids
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.mappings import mapping_by_account, save_mapping
from bookkeeper_desktop.services.not_sent import (
    FixAction,
    ledger_sync_text,
    list_not_sent,
    not_sent_states,
)
from bookkeeper_desktop.services.sync import retry_refused
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort
from tests.sync.conftest import Books
from tests.sync.helpers import books_currency, make_entries, mapped_accounts, pushed_copies, sync


def _entry(books: Books, number: str, day: dt.date, debit: int, credit: int) -> int:
    (entry_id,) = entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=day, number=number, memo=f"memo {number}", status=EntryStatus.POSTED,
        currency=books_currency(books),
        lines=(JournalLine.of(debit, Decimal("12.00")),
               JournalLine.of(credit, Decimal("-12.00"))))])
    return entry_id


def test_clean_run_succeeds_with_nothing_not_sent(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    make_entries(qbo, 2)
    result = sync(qbo)
    assert result.status is RunStatus.SUCCEEDED
    assert result.counts["not_sent"] == {}
    assert "not sent" not in result.summary
    assert list_not_sent(qbo.db, qbo.company_id) == []


def test_unsent_entries_are_counted_per_reason_and_listed_with_their_fix(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit, spare = mapped_accounts(qbo, 3)
    stray = account_service.add_account(qbo.db, qbo.company_id, Account(
        full_name="Stray Costs", type=AccountType.EXPENSE, code="99999"))
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))
    fine = make_entries(qbo, 2)
    unmapped = _entry(qbo, "UNM-1", dt.date(2026, 10, 5), stray.id or 0, credit)
    closed = _entry(qbo, "OLD-1", dt.date(2026, 9, 15), debit, credit)
    (draft,) = make_entries(qbo, 1, status=EntryStatus.DRAFT, start=50)

    result = sync(qbo)
    assert result.ok
    assert result.needs_attention
    assert result.counts["pushed"] == 2
    assert pushed_copies(qbo) == dict.fromkeys(fine, 1)
    assert result.counts["not_sent"] == {"unmapped": 1, "refused": 1}
    assert result.summary.startswith("QuickBooks Online sync needs attention;")
    assert ("2 entries not sent (1 account not mapped, 1 refused by QuickBooks Online) — see "
            "Not sent") in result.summary
    assert "problem(s)" not in result.summary  # both problems are the entries counted above

    listed = list_not_sent(qbo.db, qbo.company_id, "qbo")
    assert [(e.entry_id, e.reason, e.action) for e in listed] == [
        (unmapped, "unmapped", FixAction.MAP_ACCOUNT), (closed, "refused", FixAction.SEND_AGAIN)]
    assert "Stray Costs" in listed[0].message
    assert "Account mapping" in listed[0].message
    assert listed[0].reason_text == "account not mapped"
    assert "OLD-1" in listed[1].message
    assert "closed" in listed[1].message

    # The sync log keeps the summary itself: the card and the status bar read the same words.
    (run, *_) = sync_runs.list_runs(qbo.db, qbo.company_id)
    assert run.status is RunStatus.NEEDS_ATTENTION
    assert run.message == result.summary

    # The Ledger's page read: only the not-sent entries of the page, per provider.
    states = not_sent_states(qbo.db, qbo.company_id, [*fine, unmapped, closed])
    assert set(states) == {unmapped, closed}
    assert states[unmapped]["qbo"].reason == "unmapped"

    # The Ledger's Sync column for the same page: each entry where it stands with QBO.
    summaries = entry_service.summaries_by_id(qbo.db, qbo.company_id,
                                              [*fine, unmapped, closed, draft])
    sync_text = ledger_sync_text(qbo.db, qbo.company_id, list(summaries.values()))
    assert sync_text[fine[0]] == "QBO: sent"
    assert sync_text[unmapped] == "QBO: not sent — account not mapped"
    assert sync_text[closed] == "QBO: not sent — refused by QuickBooks Online"
    assert draft not in sync_text  # a draft is not for sending
    entry_service.void_entries(qbo.db, qbo.company_id, [fine[1]])  # a change to send
    edited = entry_service.summaries_by_id(qbo.db, qbo.company_id, [fine[1]])
    assert ledger_sync_text(qbo.db, qbo.company_id, list(edited.values())) == {
        fine[1]: "QBO: changed since sent"}

    # The Ledger's Not sent filter (SQL, as the table reads its ids) keeps exactly those.
    only_not_sent = EntryFilter(not_sent=True)
    assert sorted(read_entry_ids(qbo.db, qbo.company_id, only_not_sent, EntrySort())) == sorted(
        [unmapped, closed])
    assert entry_service.count_entries(qbo.db, qbo.company_id, only_not_sent) == 2

    # A second run changes nothing: the same entries, counted once each.
    again = sync(qbo)
    assert again.counts["not_sent"] == {"unmapped": 1, "refused": 1}
    assert again.counts["push_updates"] == 1  # the void
    assert len(list_not_sent(qbo.db, qbo.company_id)) == 2

    # Fix both: map the account, reopen the period and send again.
    target = mapping_by_account(qbo.db, qbo.company_id, "qbo")[spare]
    save_mapping(qbo.db, qbo.company_id, target.__class__(
        account_id=stray.id or 0, provider="qbo", remote_id=target.remote_id,
        remote_code=target.remote_code, remote_name=target.remote_name, state=target.state))
    qbo.sandbox.api.set_closing_date(qbo.tenant, None)
    assert retry_refused(qbo.db, qbo.company_id, "qbo", [closed]) == 1
    fixed = sync(qbo)
    assert fixed.status is RunStatus.SUCCEEDED, fixed.summary
    assert fixed.counts["pushed"] == 2
    summaries = entry_service.summaries_by_id(qbo.db, qbo.company_id, [unmapped, closed])
    assert ledger_sync_text(qbo.db, qbo.company_id, list(summaries.values())) == {
        unmapped: "QBO: sent", closed: "QBO: sent"}
    assert list_not_sent(qbo.db, qbo.company_id) == []
    assert entry_service.count_entries(qbo.db, qbo.company_id, only_not_sent) == 0
    assert not_sent_states(qbo.db, qbo.company_id, [unmapped, closed]) == {}
