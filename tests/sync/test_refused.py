"""Pushes the provider refuses wait for a fix instead of being sent at every sync: sent once
(counted at the sandbox, `GET /__sandbox__/state` → requests by path), then again only after the
entry is edited, a mapping of its accounts changes, the account changes at the provider, or the
user retries; transient failures are still retried. Against the real loopback sandboxes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.services.mappings import mapping_by_account, save_mapping
from bookkeeper_desktop.services.sync import list_refused, retry_refused
from bookkeeper_desktop.storage.schema import OutboxRow
from bookkeeper_desktop.sync.store import OutboxState
from tests.sync.conftest import Books
from tests.sync.helpers import (
    books_currency,
    make_entries,
    mapped_accounts,
    pushed_copies,
    state,
    sync,
)

WRITES = {"qbo": "/batch", "xero": "/ManualJournals"}


def _writes(books: Books) -> int:
    """Requests to the write endpoint that reached the sandbox since its counts were last zeroed
    (QBO's batch endpoint only writes here; Xero's ManualJournals is also read by a pull, so the
    Xero tests count during push-only runs)."""
    return sum(n for path, n in state(books)["requests"]["by_path"].items()
               if path.endswith(WRITES[books.provider]))


def _zero_counts(books: Books) -> None:
    books.sandbox.reset_counts()


def _entry(books: Books, number: str, day: dt.date, debit: int, credit: int, *,
           status: EntryStatus = EntryStatus.POSTED) -> int:
    amount = "40.00"
    (entry_id,) = entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=day, number=number, memo=f"memo {number}", status=status,
        currency=books_currency(books),
        lines=(JournalLine.of(debit, Decimal(amount)), JournalLine.of(credit, -Decimal(amount))))])
    return entry_id


# --- QuickBooks Online: a closed period ----------------------------------------------------------


def test_qbo_closed_period_refused_once_then_waits_until_retried(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))
    old = _entry(qbo, "OLD-1", dt.date(2026, 9, 15), debit, credit)
    fine = make_entries(qbo, 2)

    first = sync(qbo)
    assert first.ok, first.message
    assert first.counts["pushed"] == 2
    assert first.counts["refused"] == 1
    assert pushed_copies(qbo) == dict.fromkeys(fine, 1)
    (problem,) = first.errors
    assert problem.startswith("The entry OLD-1 of 2026-09-15 was refused by QuickBooks Online: ")
    assert "closed" in problem
    assert "change the entry's date, or reopen the period" in problem
    assert first.needs_attention
    assert first.message == problem  # where to start
    assert "sync needs attention" in first.summary
    assert "1 entry not sent (1 refused by QuickBooks Online) — see Not sent" in first.summary
    assert first.counts["not_sent"] == {"refused": 1}
    assert first.counts["waiting"] == [problem]

    # The next runs do not send it again: no write request at all, the entry still listed.
    for _ in range(2):
        _zero_counts(qbo)
        again = sync(qbo)
        assert again.ok, again.message
        assert _writes(qbo) == 0
        assert again.counts["refused"] == 1
        assert again.errors == ()
        assert again.counts["waiting"] == [problem]
        assert again.message == first.message
    runs = sync_runs.list_runs(qbo.db, qbo.company_id)
    assert runs[0].error_count == 0  # the sync log is not filled with the same error
    assert runs[0].message == again.summary  # what the card and status bar show
    (listed,) = list_refused(qbo.db, qbo.company_id, "qbo")
    assert (listed.entry_id, listed.message, listed.attempts) == (old, problem, 1)

    # Reopened in QBO: nothing here changed, so it waits until the user retries.
    qbo.sandbox.api.set_closing_date(qbo.tenant, None)
    _zero_counts(qbo)
    assert sync(qbo).counts["refused"] == 1
    assert _writes(qbo) == 0
    assert retry_refused(qbo.db, qbo.company_id, "qbo") == 1
    retried = sync(qbo)
    assert retried.ok, retried.message
    assert retried.counts["pushed"] == 1
    assert retried.counts["refused"] == 0
    assert _writes(qbo) == 1
    assert pushed_copies(qbo) == {**dict.fromkeys(fine, 1), old: 1}
    assert list_refused(qbo.db, qbo.company_id) == []
    assert retry_refused(qbo.db, qbo.company_id, "qbo") == 0


def test_qbo_refused_entry_is_sent_again_after_an_edit(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))
    old = _entry(qbo, "OLD-2", dt.date(2026, 9, 1), debit, credit,
                 status=EntryStatus.APPROVED)
    assert sync(qbo).counts["refused"] == 1
    # An edit that does not fix it is sent once, refused once, and waits again.
    entry = entry_service.get_entry(qbo.db, qbo.company_id, old)
    entry_service.update_entry(qbo.db, qbo.company_id, entry.with_changes(memo="still old"))
    entry_service.approve_entries(qbo.db, qbo.company_id, [old])
    _zero_counts(qbo)
    still = sync(qbo)
    assert still.counts["refused"] == 1
    assert len(still.errors) == 1
    assert _writes(qbo) == 1
    _zero_counts(qbo)
    assert sync(qbo).counts["refused"] == 1
    assert _writes(qbo) == 0
    # The date moved out of the closed period: sent, accepted, exactly one copy.
    entry = entry_service.get_entry(qbo.db, qbo.company_id, old)
    entry_service.update_entry(qbo.db, qbo.company_id,
                               entry.with_changes(date=dt.date(2026, 10, 3)))
    entry_service.approve_entries(qbo.db, qbo.company_id, [old])
    fixed = sync(qbo)
    assert fixed.ok, fixed.message
    assert fixed.counts["pushed"] == 1
    assert fixed.counts["refused"] == 0
    assert pushed_copies(qbo) == {old: 1}
    with qbo.db.read_session() as session:  # the older refusals are settled, none left open
        states = list(session.execute(select(OutboxRow.state).where(OutboxRow.entry_id == old)
                                      .order_by(OutboxRow.id)).scalars())
    assert states == [OutboxState.DONE, OutboxState.DONE, OutboxState.SENT]


# --- QuickBooks Online: an inactive account ------------------------------------------------------


def _make_inactive(books: Books, account_id: int) -> str:
    remote_id = mapping_by_account(books.db, books.company_id, "qbo")[account_id].remote_id
    assert remote_id
    books.sandbox.api.remote_edit(books.tenant, "Account", remote_id, {"Active": False})
    return remote_id


def test_qbo_inactive_account_refused_until_the_mapping_changes(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit, spare = mapped_accounts(qbo, 3)
    _make_inactive(qbo, debit)
    entry_id = _entry(qbo, "INACT-1", dt.date(2026, 10, 9), debit, credit)
    first = sync(qbo)
    assert first.counts["refused"] == 1
    (problem,) = first.errors
    assert "INACT-1" in problem
    assert "inactive or missing in QuickBooks Online" in problem
    assert "Integrations → Account mapping" in problem
    _zero_counts(qbo)
    assert sync(qbo).counts["refused"] == 1
    assert _writes(qbo) == 0
    # A mapping of an account the entry does not use changes: still nothing sent.
    unrelated = mapping_by_account(qbo.db, qbo.company_id, "qbo")[spare]
    save_mapping(qbo.db, qbo.company_id, unrelated.__class__(
        account_id=spare, provider="qbo", remote_id=unrelated.remote_id,
        remote_code=unrelated.remote_code, remote_name=unrelated.remote_name,
        state=unrelated.state))
    _zero_counts(qbo)
    assert sync(qbo).counts["refused"] == 1
    assert _writes(qbo) == 0
    # The user maps the account to another QBO account: the entry is sent again, and accepted.
    mapping = mapping_by_account(qbo.db, qbo.company_id, "qbo")[debit]
    target = mapping_by_account(qbo.db, qbo.company_id, "qbo")[spare]
    save_mapping(qbo.db, qbo.company_id, mapping.__class__(
        account_id=debit, provider="qbo", remote_id=target.remote_id,
        remote_code=target.remote_code, remote_name=target.remote_name, state=target.state))
    _zero_counts(qbo)
    after = sync(qbo)
    assert after.ok, after.message
    assert after.counts["pushed"] == 1, (after.counts, after.errors)
    assert after.counts["refused"] == 0
    assert _writes(qbo) == 1
    assert pushed_copies(qbo) == {entry_id: 1}


def test_qbo_account_made_active_again_at_qbo_sends_the_entry_again(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    remote_id = _make_inactive(qbo, credit)
    entry_id = _entry(qbo, "INACT-2", dt.date(2026, 10, 9), debit, credit)
    assert sync(qbo).counts["refused"] == 1
    _zero_counts(qbo)
    assert sync(qbo).counts["refused"] == 1
    assert _writes(qbo) == 0
    # Made active in QBO: the pull sees the account's new SyncToken, so the entry goes again.
    qbo.sandbox.api.remote_edit(qbo.tenant, "Account", remote_id, {"Active": True})
    _zero_counts(qbo)
    after = sync(qbo)
    assert after.ok, after.message
    assert after.counts["pushed"] == 1
    assert _writes(qbo) == 1
    assert pushed_copies(qbo) == {entry_id: 1}
    # A push-only run (no pull) does not see changes at QBO: it still sends nothing new.
    _zero_counts(qbo)
    assert sync(qbo, pull=False).counts["pushed"] == 0
    assert _writes(qbo) == 0


def test_retry_refused_for_some_entries_only(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))
    one = _entry(qbo, "OLD-A", dt.date(2026, 9, 3), debit, credit)
    two = _entry(qbo, "OLD-B", dt.date(2026, 9, 4), debit, credit)
    assert sync(qbo).counts["refused"] == 2
    assert {r.entry_id for r in list_refused(qbo.db, qbo.company_id)} == {one, two}
    qbo.sandbox.api.set_closing_date(qbo.tenant, None)
    assert retry_refused(qbo.db, qbo.company_id, "qbo", [two], actor="ann") == 1
    retries = [r for r in audit_log(qbo.db, qbo.company_id) if r.action == "retry_refused"]
    assert [(r.actor, r.object_type, r.object_id, r.details) for r in retries] == [
        ("ann", "entry", two, {"provider": "qbo"})]
    result = sync(qbo)
    assert result.counts["pushed"] == 1
    assert result.counts["refused"] == 1
    assert pushed_copies(qbo) == {two: 1}
    assert [r.entry_id for r in list_refused(qbo.db, qbo.company_id, "qbo")] == [one]
    assert list_refused(qbo.db, qbo.company_id, "xero") == []


def test_qbo_void_in_a_closed_period_is_refused_and_the_journal_kept(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1)
    assert sync(qbo).counts["pushed"] == 1
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 10, 31))
    entry_service.void_entries(qbo.db, qbo.company_id, [entry_id], reason="wrong")
    result = sync(qbo)
    assert result.counts["refused"] == 1
    assert "S-0" in result.errors[0]
    _zero_counts(qbo)
    assert sync(qbo).counts["refused"] == 1
    assert _writes(qbo) == 0
    qbo.sandbox.api.set_closing_date(qbo.tenant, None)
    retry_refused(qbo.db, qbo.company_id, "qbo")
    after = sync(qbo)
    assert after.counts["push_updates"] == 1
    assert pushed_copies(qbo) == {entry_id: 1}


# --- transient failures are not refusals ---------------------------------------------------------


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_transient_failure_is_retried_at_the_next_sync(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    assert sync(books, push=False).ok
    ids = make_entries(books, 3)
    books.sandbox.fail_next(1000, status=503, path=WRITES[provider], method="POST")
    failed = sync(books)
    assert not failed.ok
    assert failed.counts["refused"] == 0
    assert list_refused(books.db, books.company_id) == []
    assert pushed_copies(books) == {}
    books.sandbox.clear_faults()
    after = sync(books)
    assert after.ok, after.message
    assert after.counts["pushed"] == 3
    assert pushed_copies(books) == dict.fromkeys(ids, 1)


# --- Xero -----------------------------------------------------------------------------------------


def _xero_account(books: Books, account_id: int) -> str:
    mapping = mapping_by_account(books.db, books.company_id, "xero")[account_id]
    assert mapping.remote_id
    return mapping.remote_id


def test_xero_archived_account_refused_once_then_sent_when_restored(xero: Books) -> None:
    assert sync(xero, push=False).ok
    debit, credit = mapped_accounts(xero)
    remote_id = _xero_account(xero, debit)
    xero.sandbox.api.remote_edit(xero.tenant, "Accounts", remote_id, {"Status": "ARCHIVED"})
    good = make_entries(xero, 2)
    bad = _entry(xero, "ARCH-1", dt.date(2026, 10, 12), credit, debit)
    # Both the good entries and the bad one use the archived account: all three are refused.
    first = sync(xero)
    assert first.counts["refused"] == 3
    assert all("refused by Xero" in e and "archived" in e for e in first.errors)
    assert first.counts["waiting"] == list(first.errors)
    assert any("ARCH-1" in e for e in first.errors)
    assert sync(xero).counts["refused"] == 3  # with a pull: nothing changed there either
    _zero_counts(xero)
    again = sync(xero, pull=False)
    assert again.counts["refused"] == 3
    assert len(again.counts["waiting"]) == 3
    assert _writes(xero) == 0
    xero.sandbox.api.remote_edit(xero.tenant, "Accounts", remote_id, {"Status": "ACTIVE"})
    assert sync(xero, push=False).ok  # the pull sees the account's new UpdatedDateUTC
    _zero_counts(xero)
    after = sync(xero, pull=False)
    assert after.ok, after.message
    assert after.counts["pushed"] == 3
    assert after.counts["refused"] == 0
    assert _writes(xero) == 1
    assert pushed_copies(xero) == dict.fromkeys([*good, bad], 1)


def test_xero_oversized_entry_is_refused_once(xero: Books) -> None:
    assert sync(xero, push=False).ok
    debit, credit = mapped_accounts(xero)
    (huge,) = entry_service.bulk_insert_entries(xero.db, xero.company_id, [JournalEntry(
        date=dt.date(2026, 10, 6), status=EntryStatus.POSTED, number="HUGE-1",
        currency=books_currency(xero),
        lines=(JournalLine.of(debit, Decimal("1.00"), description="x" * 3_600_000),
               JournalLine.of(credit, Decimal("-1.00"))))])
    fine = make_entries(xero, 1)
    first = sync(xero)
    assert first.counts["pushed"] == 1
    assert first.counts["refused"] == 1
    assert "HUGE-1" in first.errors[0]
    assert "3.5 MB" in first.errors[0]
    _zero_counts(xero)
    assert sync(xero, pull=False).counts["refused"] == 1
    assert _writes(xero) == 0
    assert pushed_copies(xero) == dict.fromkeys(fine, 1)
    assert huge not in pushed_copies(xero)


def test_xero_void_of_a_journal_still_draft_there_deletes_it(xero: Books) -> None:
    """Xero voids posted journals and deletes drafts (a draft cannot be voided): an entry pushed
    while approved (a DRAFT there), then posted and voided here before the next sync."""
    assert sync(xero, push=False).ok
    (entry_id,) = make_entries(xero, 1, status=EntryStatus.APPROVED)
    assert sync(xero).counts["pushed"] == 1
    entry_service.post_entries(xero.db, xero.company_id, [entry_id])
    entry_service.void_entries(xero.db, xero.company_id, [entry_id])
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["refused"] == 0
    assert result.counts["push_updates"] == 1
    records = state(xero)["api"]["tenants"][xero.tenant]["records"]["ManualJournals"]
    ours = [j for j in records.values()
            if f"[bk:xero{xero.company_id}-{entry_id}-" in str(j.get("Narration"))]
    assert [j["Status"] for j in ours] == ["DELETED"]


# --- a void whose answer was lost -----------------------------------------------------------------


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_void_whose_answer_was_lost_is_found_not_refused(
        provider: str, request: pytest.FixtureRequest) -> None:
    """The connection drops after the provider voided the journal: the next look-up finds it
    voided; it is neither sent twice nor taken for a refusal."""
    books: Books = request.getfixturevalue(provider)
    assert sync(books, push=False).ok
    (entry_id,) = make_entries(books, 1)
    assert sync(books).counts["pushed"] == 1
    entry_service.void_entries(books.db, books.company_id, [entry_id], reason="wrong")
    if provider == "qbo":
        books.sandbox.api.forget_request_ids(books.tenant)
    books.sandbox.drop_next(1, after_commit=True, path=WRITES[provider], method="POST")
    result = sync(books, pull=False)
    assert result.ok, result.message
    assert result.counts["refused"] == 0
    assert result.errors == ()
    assert list_refused(books.db, books.company_id) == []
    if provider == "qbo":
        assert pushed_copies(books) == {entry_id: 1}
        (journal,) = [j for j in state(books)["api"]["realms"][books.tenant]["objects"]
                      ["JournalEntry"].values() if "[bk:qbo" in str(j.get("PrivateNote"))]
        assert str(journal["PrivateNote"]).startswith("Voided")
    else:
        records = state(books)["api"]["tenants"][books.tenant]["records"]["ManualJournals"]
        ours = [j for j in records.values()
                if f"[bk:xero{books.company_id}-{entry_id}-" in str(j.get("Narration"))]
        assert [j["Status"] for j in ours] == ["VOIDED"]
    again = sync(books)
    assert again.ok, again.message
    assert again.counts["push_updates"] == again.counts["refused"] == 0


def test_the_sync_log_names_at_most_20_waiting_entries(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))
    for n in range(25):
        _entry(qbo, f"OLD-{n:02}", dt.date(2026, 9, 1), debit, credit)
    assert sync(qbo).counts["refused"] == 25
    result = sync(qbo)
    assert result.counts["refused"] == 25
    assert len(result.counts["waiting"]) == 25  # the result lists them all
    (run, *_) = sync_runs.list_runs(qbo.db, qbo.company_id)
    assert run.id == result.run_id
    assert run.details["refused"] == 25
    assert run.details["waiting"] == result.counts["waiting"][:20]
    assert result.message.startswith("The entry OLD-00 of 2026-09-01 was refused")
    # The sync log's message is the summary, with the count per reason.
    assert run.message == result.summary
    assert "25 entries not sent (25 refused by QuickBooks Online)" in run.message


def test_a_refused_entry_found_at_the_provider_is_linked_not_sent_again(qbo: Books) -> None:
    """A refusal whose entry is there after all (refused, then entered in QBO with our note, or
    a refusal answer for a write QBO kept): the pull links it and settles the outbox row, so it
    neither waits for a fix nor goes out a second time."""
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))
    entry_id = _entry(qbo, "OLD-2", dt.date(2026, 9, 15), debit, credit)
    assert sync(qbo).counts["refused"] == 1
    with qbo.db.read_session() as session:
        key = session.execute(select(OutboxRow.idempotency_key).where(
            OutboxRow.entry_id == entry_id)).scalar_one()
    qbo.sandbox.api.set_closing_date(qbo.tenant, None)
    mapping = mapping_by_account(qbo.db, qbo.company_id, "qbo", confirmed_only=True)
    qbo.sandbox.api.remote_create(qbo.tenant, "JournalEntry", {
        "TxnDate": "2026-09-15", "DocNumber": "OLD-2", "PrivateNote": f"memo OLD-2 [bk:{key}]",
        "Line": [{"Amount": "40.00", "DetailType": "JournalEntryLineDetail",
                  "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": {
                      "value": mapping[account].remote_id}}}
                 for posting, account in (("Debit", debit), ("Credit", credit))]})

    linked = sync(qbo)
    assert linked.ok, linked.message
    assert linked.counts["reconciled"] == 1
    assert linked.counts["refused"] == 0
    assert list_refused(qbo.db, qbo.company_id, "qbo") == []
    assert pushed_copies(qbo)[entry_id] == 1
    assert entry_service.get_entry(qbo.db, qbo.company_id, entry_id).qbo_id is not None
    _zero_counts(qbo)
    assert sync(qbo).counts["pushed"] == 0
    assert _writes(qbo) == 0
