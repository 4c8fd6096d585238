"""Push against the real sandboxes: new and changed entries in batches, exactly one remote copy
each (checked through `GET /__sandbox__/state`), remote ids and versions back in our entries, an
unmapped account stopping only its entry, and conflicts kept for the user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.sync import list_conflicts, resolve_conflict
from bookkeeper_desktop.sync.payloads import strip_key
from bookkeeper_desktop.sync.push import candidate_ids
from tests.sync.conftest import Books
from tests.sync.helpers import (
    books_currency,
    local_entries,
    make_entries,
    mapped_accounts,
    note,
    pushed_copies,
    remote_journals,
    sync,
)


def _by_key(books: Books, entry_id: int) -> dict[str, object]:
    marker = f"[bk:{books.provider}{books.company_id}-{entry_id}-"
    found = [j for j in remote_journals(books) if marker in note(books, j)]
    assert len(found) == 1
    return found[0]


def _push_new_entries(books: Books) -> None:
    assert sync(books, push=False).ok
    ids = make_entries(books, 45)
    before = local_entries(books)
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["pushed"] == 45
    assert pushed_copies(books) == dict.fromkeys(ids, 1)
    for entry in entry_service.get_entries(books.db, books.company_id, ids):
        remote = _by_key(books, entry.id or 0)
        if books.provider == "qbo":
            assert entry.qbo_id == remote["Id"]
            assert entry.qbo_sync_token == remote["SyncToken"]
            assert remote["DocNumber"] == entry.number
        else:
            assert entry.xero_id == remote["ManualJournalID"]
            assert remote["Status"] == "POSTED"
    # The next sync pulls our own journals back without importing them again, and sends nothing.
    again = sync(books)
    assert again.ok
    assert again.counts["pushed"] == again.counts["push_updates"] == 0
    assert again.counts["created"] == 0
    assert local_entries(books) == before
    assert pushed_copies(books) == dict.fromkeys(ids, 1)


def test_qbo_push_new_entries_in_batches(qbo: Books) -> None:
    _push_new_entries(qbo)


def test_xero_push_new_entries(xero: Books) -> None:
    _push_new_entries(xero)


def _push_changed_entry(books: Books) -> None:
    assert sync(books, push=False).ok
    (entry_id,) = make_entries(books, 1, status=EntryStatus.APPROVED)
    assert sync(books).counts["pushed"] == 1
    entry = entry_service.get_entry(books.db, books.company_id, entry_id)
    entry_service.update_entry(books.db, books.company_id,
                               entry.with_changes(memo="corrected memo"))
    entry_service.approve_entries(books.db, books.company_id, [entry_id])
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["push_updates"] == 1
    remote = _by_key(books, entry_id)
    assert strip_key(note(books, remote)) == "corrected memo"
    assert pushed_copies(books) == {entry_id: 1}
    entry_service.post_entries(books.db, books.company_id, [entry_id])
    assert sync(books).counts["push_updates"] == 1
    if books.provider == "xero":
        assert _by_key(books, entry_id)["Status"] == "POSTED"
    assert sync(books).counts["push_updates"] == 0


def test_qbo_push_changed_entry_updates_in_place(qbo: Books) -> None:
    _push_changed_entry(qbo)


def test_xero_push_changed_entry_updates_in_place(xero: Books) -> None:
    _push_changed_entry(xero)


def test_unmapped_account_stops_only_its_entry(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    stray = account_service.add_account(qbo.db, qbo.company_id, Account(
        full_name="Stray Costs", type=AccountType.EXPENSE, code="99999"))
    good = make_entries(qbo, 3)
    debit, _credit = mapped_accounts(qbo)
    bad = entry_service.bulk_insert_entries(qbo.db, qbo.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5),
        lines=(JournalLine.of(stray.id or 0, Decimal("5.00")),
               JournalLine.of(debit, Decimal("-5.00"))),
        number="BAD-1", status=EntryStatus.POSTED)])
    result = sync(qbo)
    assert result.ok
    assert result.counts["pushed"] == 3
    assert pushed_copies(qbo) == dict.fromkeys(good, 1)
    assert any("Stray Costs" in error for error in result.errors)
    assert bad[0] not in pushed_copies(qbo)


def test_qbo_conflict_found_by_pull_keep_ours(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1, status=EntryStatus.APPROVED)
    assert sync(qbo).counts["pushed"] == 1
    remote = _by_key(qbo, entry_id)
    qbo.sandbox.api.remote_edit(qbo.tenant, "JournalEntry", str(remote["Id"]),
                                {"DocNumber": "THEIRS"})
    entry = entry_service.get_entry(qbo.db, qbo.company_id, entry_id)
    entry_service.update_entry(qbo.db, qbo.company_id, entry.with_changes(memo="ours"))
    entry_service.approve_entries(qbo.db, qbo.company_id, [entry_id])
    result = sync(qbo)
    assert result.ok
    assert result.counts["conflicts"] == 1
    assert _by_key(qbo, entry_id)["DocNumber"] == "THEIRS"  # nothing overwritten
    conflicts = list_conflicts(qbo.db, qbo.company_id, "qbo")
    assert [c.entry_id for c in conflicts] == [entry_id]
    assert conflicts[0].theirs is not None
    assert conflicts[0].theirs["DocNumber"] == "THEIRS"
    assert conflicts[0].ours is not None
    assert conflicts[0].ours.memo == "ours"
    # Until resolved, the entry is not pushed.
    assert sync(qbo).counts["push_updates"] == 0
    resolve_conflict(qbo.db, qbo.company_id, conflicts[0].id, keep="ours")
    after = sync(qbo)
    assert after.ok, after.message
    assert after.counts["push_updates"] == 1
    remote = _by_key(qbo, entry_id)
    assert strip_key(str(remote["PrivateNote"])) == "ours"
    assert list_conflicts(qbo.db, qbo.company_id) == []


def test_qbo_stale_sync_token_on_push_is_a_conflict_take_theirs(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1, status=EntryStatus.APPROVED)
    assert sync(qbo).counts["pushed"] == 1
    remote = _by_key(qbo, entry_id)
    qbo.sandbox.api.remote_edit(qbo.tenant, "JournalEntry", str(remote["Id"]),
                                {"PrivateNote": f"theirs {remote['PrivateNote']}"})
    entry = entry_service.get_entry(qbo.db, qbo.company_id, entry_id)
    entry_service.update_entry(qbo.db, qbo.company_id, entry.with_changes(memo="ours"))
    entry_service.approve_entries(qbo.db, qbo.company_id, [entry_id])
    result = sync(qbo, pull=False)  # push only: QBO answers 5010 Stale Object
    assert result.ok
    assert result.counts["conflicts"] == 1
    (conflict,) = list_conflicts(qbo.db, qbo.company_id)
    # The provider's copy is read at the next pull; then take theirs.
    assert sync(qbo, push=False).ok
    kept = resolve_conflict(qbo.db, qbo.company_id, conflict.id, keep="theirs")
    assert kept.memo.startswith("theirs")
    assert entry_service.get_entry(qbo.db, qbo.company_id, entry_id).memo.startswith("theirs")
    final = sync(qbo)
    assert final.ok
    assert final.counts["push_updates"] == 0
    assert final.counts["conflicts"] == 0
    assert pushed_copies(qbo) == {entry_id: 1}


def test_xero_conflict_on_push_only_run(xero: Books) -> None:
    assert sync(xero, push=False).ok
    (entry_id,) = make_entries(xero, 1, status=EntryStatus.APPROVED)
    assert sync(xero).counts["pushed"] == 1
    remote = _by_key(xero, entry_id)
    xero.sandbox.api.remote_edit(xero.tenant, "ManualJournals", str(remote["ManualJournalID"]),
                                 {"Narration": f"theirs {remote['Narration']}"})
    entry = entry_service.get_entry(xero.db, xero.company_id, entry_id)
    entry_service.update_entry(xero.db, xero.company_id, entry.with_changes(memo="ours"))
    entry_service.approve_entries(xero.db, xero.company_id, [entry_id])
    result = sync(xero, pull=False)
    assert result.counts["conflicts"] == 1
    assert strip_key(note(xero, _by_key(xero, entry_id))).startswith("theirs")


def test_voiding_a_pushed_entry_voids_it_in_qbo_as_qbo_does(qbo: Books) -> None:
    """QBO's API has no void for JournalEntry; QBO's own Void keeps the journal with its number,
    every amount zero and "Voided" in the memo. So does our push: an update, never a delete or
    a second journal."""
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1)
    assert sync(qbo).counts["pushed"] == 1
    before = _by_key(qbo, entry_id)
    entry_service.void_entries(qbo.db, qbo.company_id, [entry_id], reason="wrong")
    result = sync(qbo)
    assert result.ok, result.message
    assert result.counts["push_updates"] == 1
    assert pushed_copies(qbo) == {entry_id: 1}
    voided = _by_key(qbo, entry_id)
    assert voided["Id"] == before["Id"]
    assert voided["DocNumber"] == before["DocNumber"]
    assert voided["TxnDate"] == before["TxnDate"]
    assert int(str(voided["SyncToken"])) == int(str(before["SyncToken"])) + 1
    assert str(voided["PrivateNote"]).startswith("Voided - sync test 0 [bk:")
    assert [line["Amount"] for line in voided["Line"]] == [0, 0]
    assert [line["JournalEntryLineDetail"]["AccountRef"]["value"] for line in voided["Line"]] \
        == [line["JournalEntryLineDetail"]["AccountRef"]["value"] for line in before["Line"]]
    assert voided["TotalAmt"] == 0
    assert voided["Id"] not in {t["Id"] for t in qbo.sandbox.api.tombstones(qbo.tenant,
                                                                            "JournalEntry")}
    entry = entry_service.get_entries(qbo.db, qbo.company_id, [entry_id])[0]
    assert entry.status is EntryStatus.VOID
    assert entry.qbo_sync_token == voided["SyncToken"]
    count = local_entries(qbo)
    again = sync(qbo)
    assert again.ok, again.message
    assert again.counts["push_updates"] == again.counts["created"] == 0
    assert local_entries(qbo) == count  # the voided journal is not pulled in as a new entry
    assert pushed_copies(qbo) == {entry_id: 1}


def test_xero_void_of_a_pushed_entry(xero: Books) -> None:
    assert sync(xero, push=False).ok
    (entry_id,) = make_entries(xero, 1)
    assert sync(xero).counts["pushed"] == 1
    entry_service.void_entries(xero.db, xero.company_id, [entry_id], reason="wrong")
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["push_updates"] == 1
    journals = [j for j in remote_journals(xero, live_only=False)
                if f"[bk:xero{xero.company_id}-{entry_id}-" in note(xero, j)]
    assert [j["Status"] for j in journals] == ["VOIDED"]
    assert sync(xero).counts["push_updates"] == 0


def test_synced_untouched_entries_are_not_candidates(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    ids = make_entries(qbo, 31)
    draft = make_entries(qbo, 1, status=EntryStatus.DRAFT, start=31)
    with qbo.db.read_session() as session:
        assert candidate_ids(session, qbo.company_id, "qbo") == ids
    assert sync(qbo).counts["pushed"] == 31
    with qbo.db.read_session() as session:
        assert candidate_ids(session, qbo.company_id, "qbo") == []
    entry_service.void_entries(qbo.db, qbo.company_id, [ids[3]])
    entry_service.approve_entries(qbo.db, qbo.company_id, draft)
    with qbo.db.read_session() as session:
        assert candidate_ids(session, qbo.company_id, "qbo") == [ids[3], *draft]


def test_xero_request_over_35_mb_is_split_and_an_oversized_entry_refused(xero: Books) -> None:
    assert sync(xero, push=False).ok
    debit, credit = mapped_accounts(xero)

    def big(number: int, size: int) -> JournalEntry:
        return JournalEntry(
            date=dt.date(2026, 10, 6), status=EntryStatus.POSTED, number=f"BIG-{number}",
            memo=f"big {number}", currency=books_currency(xero),
            lines=(JournalLine.of(debit, Decimal("1.00"), description="x" * size),
                   JournalLine.of(credit, Decimal("-1.00"))))
    fine = entry_service.bulk_insert_entries(
        xero.db, xero.company_id, [big(n, 1_300_000) for n in range(3)])
    (huge,) = entry_service.bulk_insert_entries(xero.db, xero.company_id, [big(9, 3_600_000)])
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["pushed"] == 3
    assert pushed_copies(xero) == dict.fromkeys(fine, 1)
    assert len(result.errors) == 1
    assert "BIG-9" in result.errors[0]
    assert huge not in pushed_copies(xero)


def test_qbo_void_of_a_journal_changed_in_qbo_is_a_conflict_then_voided(qbo: Books) -> None:
    """A void goes with the SyncToken we last saw: a journal changed in QBO meanwhile is a
    conflict (never overwritten); keeping ours voids their current version, in place."""
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1)
    assert sync(qbo).counts["pushed"] == 1
    remote = _by_key(qbo, entry_id)
    qbo.sandbox.api.remote_edit(qbo.tenant, "JournalEntry", str(remote["Id"]),
                                {"DocNumber": "THEIRS"})
    entry_service.void_entries(qbo.db, qbo.company_id, [entry_id], reason="wrong")
    result = sync(qbo, pull=False)
    assert result.counts["conflicts"] == 1
    assert _by_key(qbo, entry_id)["DocNumber"] == "THEIRS"
    assert sync(qbo, push=False).ok
    (conflict,) = list_conflicts(qbo.db, qbo.company_id, "qbo")
    resolve_conflict(qbo.db, qbo.company_id, conflict.id, keep="ours")
    after = sync(qbo)
    assert after.ok, after.message
    assert after.counts["push_updates"] == 1, (after.counts, after.errors)
    voided = _by_key(qbo, entry_id)
    assert voided["Id"] == remote["Id"]
    assert str(voided["PrivateNote"]).startswith("Voided")
    assert voided["TotalAmt"] == 0
    assert pushed_copies(qbo) == {entry_id: 1}


def test_qbo_stale_sync_token_on_push_keep_ours_is_sent_with_their_token(qbo: Books) -> None:
    """QBO answers a repeated requestid with the answer it remembers (API_NOTES): after "keep
    ours" the same content goes again with their SyncToken, and must not get the old Stale
    Object answer back."""
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1, status=EntryStatus.APPROVED)
    assert sync(qbo).counts["pushed"] == 1
    remote = _by_key(qbo, entry_id)
    qbo.sandbox.api.remote_edit(qbo.tenant, "JournalEntry", str(remote["Id"]),
                                {"DocNumber": "THEIRS"})
    entry = entry_service.get_entry(qbo.db, qbo.company_id, entry_id)
    entry_service.update_entry(qbo.db, qbo.company_id, entry.with_changes(memo="ours"))
    entry_service.approve_entries(qbo.db, qbo.company_id, [entry_id])
    assert sync(qbo, pull=False).counts["conflicts"] == 1  # QBO's 5010
    assert sync(qbo, push=False).ok
    (conflict,) = list_conflicts(qbo.db, qbo.company_id)
    resolve_conflict(qbo.db, qbo.company_id, conflict.id, keep="ours")
    after = sync(qbo)
    assert after.ok, after.message
    assert after.counts["push_updates"] == 1
    assert after.counts["conflicts"] == 0
    mine = _by_key(qbo, entry_id)
    assert strip_key(str(mine["PrivateNote"])) == "ours"
    assert mine["DocNumber"] == "S-0"
    assert list_conflicts(qbo.db, qbo.company_id) == []
