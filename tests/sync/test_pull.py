"""Pull against the real sandboxes: first full sync, then incremental pulls of remote creates,
updates, deletes and voids; each object stored once; the cursor resumes where a pull died."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.services.connections import get_connection, set_integration_setting
from bookkeeper_desktop.services.mappings import (
    AccountMapping,
    MappingState,
    confirm_mappings,
    list_mappings,
    remove_mapping,
    save_mapping,
)
from bookkeeper_desktop.services.sync import list_remote_records
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter
from bookkeeper_desktop.storage.schema import JournalEntryRow, RemoteObjectRow, SyncCursorRow
from bookkeeper_desktop.sync import pull_reads
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.remote_entries import QBO_ENTITIES, XERO_COLLECTIONS
from bookkeeper_desktop.sync.store import AUTO_CONFIRM_EXACT
from tests.sync.conftest import TIME_SCALE, Books, connect_books
from tests.sync.helpers import (
    books_currency,
    local_entries,
    make_entries,
    mapped_accounts,
    note,
    remote_journals,
    remote_rows,
    state,
    sync,
)


def _entries_by_source(books: Books) -> dict[str, int]:
    with books.db.read_session() as session:
        rows = session.execute(select(JournalEntryRow.source, JournalEntryRow.id).where(
            JournalEntryRow.company_id == books.company_id)).all()
    counts: dict[str, int] = {}
    for source, _ in rows:
        counts[source] = counts.get(source, 0) + 1
    return counts


def test_qbo_first_sync_pulls_chart_and_transactions_once(qbo: Books) -> None:
    runs_started = dt.datetime.now(dt.UTC)
    first = sync(qbo)
    assert first.ok, first.message
    api = state(qbo)["api"]["realms"][qbo.tenant]["objects"]
    remote_total = sum(len(api.get(entity, {})) for entity in QBO_ENTITIES)
    rows = remote_rows(qbo)
    assert all(n == 1 for n in rows.values())
    assert sum(1 for kind, _ in rows if kind in QBO_ENTITIES) == remote_total
    assert sum(1 for kind, _ in rows if kind == "Account") == len(api["Account"])
    # Every remote account is mapped (created here, nothing of ours to overwrite).
    assert len(list_mappings(qbo.db, qbo.company_id, "qbo")) == len(api["Account"])
    # Every journal entry, transfer and account-based purchase is a balanced ledger entry.
    assert _entries_by_source(qbo) == {"qbo": first.counts["created"]}
    assert first.counts["created"] >= len(api["JournalEntry"]) + len(api["Transfer"])
    for entry in entry_service.iter_entries(qbo.db, qbo.company_id, EntryFilter()):
        assert entry.is_balanced
        assert entry.source is EntrySource.QBO
    # The trial balance adds up to zero.
    tb = entry_service.trial_balance(qbo.db, qbo.company_id)
    assert sum((r.debit - r.credit for r in tb.rows), Decimal(0)) == 0
    # Second run: nothing new, nothing duplicated; the sync log has both runs.
    second = sync(qbo)
    assert second.ok
    assert second.counts["created"] == 0
    assert second.counts["updated"] == 0
    assert remote_rows(qbo) == rows
    connection = get_connection(qbo.db, qbo.company_id, "qbo")
    assert connection is not None
    assert connection.last_sync_at is not None
    assert connection.last_sync_at >= runs_started
    runs = sync_runs.list_runs(qbo.db, qbo.company_id, provider="qbo")
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert runs[1].pulled == first.counts["created"]
    assert runs[1].finished_at is not None
    # A run with nothing to report keeps its summary: the card and the sync log show the same
    # line for the stored run as for the one just finished.
    assert (runs[0].message, runs[1].message) == (second.summary, first.summary)


def test_qbo_incremental_pull_sees_creates_updates_deletes_and_voids(qbo: Books) -> None:
    assert sync(qbo).ok
    api = qbo.sandbox.api
    before = local_entries(qbo)
    journals = api.objects(qbo.tenant, "JournalEntry")
    source = journals[0]
    created = api.remote_create(qbo.tenant, "JournalEntry", {
        "TxnDate": "2026-11-02", "PrivateNote": "made in QBO",
        "Line": [{**line, "Id": None} for line in source["Line"]]})
    edited = journals[1]
    api.remote_edit(qbo.tenant, "JournalEntry", edited["Id"], {"PrivateNote": "edited in QBO"})
    deleted = journals[2]
    api.remote_delete(qbo.tenant, "JournalEntry", deleted["Id"])
    invoice = api.objects(qbo.tenant, "Invoice")[0]
    api.remote_void(qbo.tenant, "Invoice", invoice["Id"])

    result = sync(qbo)
    assert result.ok, result.message
    assert result.counts["created"] == 1
    assert result.counts["updated"] == 1
    assert result.counts["deleted"] == 2
    assert local_entries(qbo) == before + 1
    with qbo.db.read_session() as session:
        def entry_of(remote_id: str) -> JournalEntryRow:
            return session.execute(select(JournalEntryRow).where(
                JournalEntryRow.company_id == qbo.company_id,
                JournalEntryRow.qbo_id == remote_id)).scalar_one()
        assert entry_of(created["Id"]).memo == "made in QBO"
        assert entry_of(edited["Id"]).memo == "edited in QBO"
        assert entry_of(edited["Id"]).qbo_sync_token == str(int(edited["SyncToken"]) + 1)
        assert entry_of(deleted["Id"]).remote_deleted
        void_row = session.execute(select(RemoteObjectRow).where(
            RemoteObjectRow.object_type == "Invoice",
            RemoteObjectRow.remote_id == invoice["Id"])).scalar_one()
        assert void_row.deleted
    assert all(n == 1 for n in remote_rows(qbo).values())


def test_xero_first_and_incremental_pull(xero: Books) -> None:
    first = sync(xero)
    assert first.ok, first.message
    records = state(xero)["api"]["tenants"][xero.tenant]["records"]
    rows = remote_rows(xero)
    assert all(n == 1 for n in rows.values())
    assert sum(1 for kind, _ in rows if kind in XERO_COLLECTIONS) == \
        sum(len(records[c]) for c in XERO_COLLECTIONS)
    for entry in entry_service.iter_entries(xero.db, xero.company_id, EntryFilter()):
        assert entry.is_balanced
        assert entry.source is EntrySource.XERO
    api = xero.sandbox.api
    journals = [j for j in api.objects(xero.tenant, "ManualJournals") if j["Status"] == "POSTED"]
    target = journals[0]
    api.remote_edit(xero.tenant, "ManualJournals", target["ManualJournalID"],
                    {"Narration": "edited in Xero"})
    api.remote_void(xero.tenant, "ManualJournals", journals[1]["ManualJournalID"])
    fresh = api.remote_create(xero.tenant, "ManualJournals", {
        "Narration": "made in Xero", "Date": "2026-11-02", "Status": "POSTED",
        "JournalLines": [{"LineAmount": line["LineAmount"], "AccountCode": line["AccountCode"]}
                         for line in target["JournalLines"]]})
    second = sync(xero)
    assert second.ok, second.message
    assert (second.counts["created"], second.counts["updated"], second.counts["deleted"]) == \
        (1, 1, 1)
    with xero.db.read_session() as session:
        def entry_of(remote_id: str) -> JournalEntryRow:
            return session.execute(select(JournalEntryRow).where(
                JournalEntryRow.xero_id == remote_id)).scalar_one()
        assert entry_of(target["ManualJournalID"]).memo == "edited in Xero"
        assert entry_of(journals[1]["ManualJournalID"]).remote_deleted
        assert entry_of(fresh["ManualJournalID"]).memo == "made in Xero"
    assert all(n == 1 for n in remote_rows(xero).values())
    # Inclusive If-Modified-Since: a third pull sees the edge records again and skips them.
    third = sync(xero)
    assert third.ok
    assert third.counts["created"] == third.counts["updated"] == 0


def test_pulled_xero_journals_are_in_the_organisations_currency_asked_once(
        xero: Books) -> None:
    """A manual journal carries no currency: it is in the organisation's (NZD here, our books'
    default is USD), read from Organisation once and kept with the connection's settings."""
    assert sync(xero, push=False).ok
    journals = [e for e in entry_service.iter_entries(xero.db, xero.company_id, EntryFilter())
                if e.xero_id is not None]
    assert journals
    assert {e.currency for e in journals} == {books_currency(xero)}
    assert any(path.endswith("/Organisation") for path in state(xero)["requests"]["by_path"])
    xero.sandbox.reset_counts()
    assert sync(xero, push=False).ok
    assert not any(path.endswith("/Organisation")
                   for path in state(xero)["requests"]["by_path"])


def test_cursors_are_stored_per_entity(qbo: Books) -> None:
    assert sync(qbo).ok
    with qbo.db.read_session() as session:
        cursors = {row.entity: row.cursor_value for row in session.execute(
            select(SyncCursorRow).where(SyncCursorRow.company_id == qbo.company_id)).scalars()}
    assert set(cursors) == {*QBO_ENTITIES, "contacts:Customer", "contacts:Vendor"}
    assert not any(value.startswith("full:") for value in cursors.values())


def test_exact_matches_are_confirmed_on_their_own_and_kinds_never_cross(qbo: Books) -> None:
    remote = list(qbo.sandbox.api.objects(qbo.tenant, "Account"))
    expense = next(a for a in remote if a.get("AccountType") == "Expense"
                   and ":" not in str(a.get("FullyQualifiedName")))
    receivable = next(a for a in remote if a.get("AccountType") == "Accounts Receivable")
    income = next(a for a in remote if a.get("AccountType") == "Income" and a.get("AcctNum"))
    same = account_service.add_account(qbo.db, qbo.company_id, Account(
        full_name=str(expense["Name"]).upper(), type=AccountType.EXPENSE, code="E-1"))
    # Our inventory asset wears the number of their A/R; our expense the number of an income.
    inventory = account_service.add_account(qbo.db, qbo.company_id, Account(
        full_name="Inventory Asset Here", type=AccountType.OTHER_CURRENT_ASSET,
        code=str(receivable.get("AcctNum") or "") or None))
    wrong_kind = account_service.add_account(qbo.db, qbo.company_id, Account(
        full_name="Utilities Here", type=AccountType.EXPENSE, code=str(income["AcctNum"])))
    result = sync(qbo)
    assert result.ok, result.message
    assert result.counts["mappings_confirmed"] == 1
    assert "confirmed" in result.summary
    mappings = {m.account_id: m for m in list_mappings(qbo.db, qbo.company_id, "qbo")}
    assert mappings[same.id or 0].state is MappingState.CONFIRMED
    assert mappings[same.id or 0].proposal_reason == "name and type"
    assert mappings[same.id or 0].remote_id == expense["Id"]
    assert inventory.id not in mappings or mappings[inventory.id].remote_id != receivable["Id"]
    assert wrong_kind.id not in mappings or mappings[wrong_kind.id].remote_id != income["Id"]


def test_existing_chart_gets_proposals_not_overwrites(qbo: Books) -> None:
    # The company's setting: every proposal waits for the user.
    set_integration_setting(qbo.db, qbo.company_id, "qbo", AUTO_CONFIRM_EXACT, "0")
    remote = {a["Name"]: a for a in qbo.sandbox.api.objects(qbo.tenant, "Account")}
    name = next(n for n, a in remote.items() if a.get("AccountType") == "Expense"
                and ":" not in str(a.get("FullyQualifiedName")))
    ours = account_service.add_account(qbo.db, qbo.company_id, Account(
        full_name=name.upper(), type=AccountType.EXPENSE, code="E-1",
        description="our own words"))
    result = sync(qbo)
    assert result.ok, result.message
    assert result.counts["mappings_proposed"] == 1
    mappings = {m.account_id: m for m in list_mappings(qbo.db, qbo.company_id, "qbo")}
    assert mappings[ours.id or 0].state is MappingState.PROPOSED
    assert mappings[ours.id or 0].remote_id == remote[name]["Id"]
    assert mappings[ours.id or 0].proposal_reason == "name and type"
    kept = account_service.get_account(qbo.db, qbo.company_id, ours.id or 0)
    assert (kept.full_name, kept.code, kept.description) == (name.upper(), "E-1", "our own words")
    # Not duplicated as a new account, and the next pull proposes nothing again.
    names = [a.full_name.lower() for a in account_service.list_accounts(qbo.db, qbo.company_id)]
    assert names.count(name.lower()) == 1
    assert sync(qbo).counts["mappings_proposed"] == 0
    # A push through a proposed (unconfirmed) mapping is refused, naming the account.
    other = next(m.account_id for m in mappings.values() if m.state is MappingState.CONFIRMED
                 and account_service.get_account(qbo.db, qbo.company_id, m.account_id)
                 .account_class.value == "asset")
    entry_service.bulk_insert_entries(qbo.db, qbo.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5), status=EntryStatus.POSTED, number="P-1",
        lines=(JournalLine.of(ours.id or 0, Decimal("9.00")),
               JournalLine.of(other, Decimal("-9.00"))))])
    refused = sync(qbo)
    assert refused.counts["pushed"] == 0
    assert any(name.upper() in error for error in refused.errors)
    confirm_mappings(qbo.db, qbo.company_id, "qbo", [ours.id or 0])
    assert sync(qbo).counts["pushed"] == 1


def test_cursor_past_the_cdc_window_falls_back_to_a_full_query(qbo: Books) -> None:
    assert sync(qbo).ok
    rows = remote_rows(qbo)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).isoformat()
    with qbo.db.session() as session:
        for row in session.execute(select(SyncCursorRow)).scalars():
            row.cursor_value = old
    result = sync(qbo)
    assert result.ok, result.message  # CDC would refuse a changedSince 40 days back
    assert result.counts["created"] == 0
    assert remote_rows(qbo) == rows
    with qbo.db.read_session() as session:
        assert all(r.cursor_value > old for r in session.execute(select(SyncCursorRow)).scalars())


def test_unposted_records_are_listed_with_their_reason(qbo: Books) -> None:
    result = sync(qbo)
    unposted = list_remote_records(qbo.db, qbo.company_id, "qbo", unposted_only=True)
    assert len(unposted) == result.counts["unposted"]
    kinds = {r.object_type for r in unposted}
    assert {"Invoice", "Payment", "Bill", "BillPayment"} <= kinds
    assert all(r.entry_id is None and r.reason for r in unposted)
    invoice = next(r for r in unposted if r.object_type == "Invoice")
    assert "A/R" in invoice.reason
    assert invoice.payload["Id"] == invoice.remote_id
    everything = list_remote_records(qbo.db, qbo.company_id, "qbo")
    assert len(everything) == result.counts["unposted"] + result.counts["created"]


def test_unmapped_journal_is_kept_then_posted_once_mapped(qbo: Books) -> None:
    assert sync(qbo).ok
    mappings = list_mappings(qbo.db, qbo.company_id, "qbo")
    journal = qbo.sandbox.api.objects(qbo.tenant, "JournalEntry")[0]
    used = str(journal["Line"][0]["JournalEntryLineDetail"]["AccountRef"]["value"])
    mapping = next(m for m in mappings if m.remote_id == used)
    remove_mapping(qbo.db, qbo.company_id, "qbo", mapping.account_id)
    created = qbo.sandbox.api.remote_create(qbo.tenant, "JournalEntry", {
        "TxnDate": "2026-11-03", "PrivateNote": "uses the unmapped account",
        "Line": [{**line, "Id": None} for line in journal["Line"]]})
    with qbo.client() as client:  # transactions only: the account pull would re-propose it
        ctx = SyncContext(db=qbo.db, company_id=qbo.company_id, provider="qbo", client=client,
                          progress=Progress())
        pull_reads.pull_transactions(ctx)
    assert ctx.counts.unposted == 1
    (kept,) = [r for r in list_remote_records(qbo.db, qbo.company_id, "qbo", unposted_only=True)
               if r.remote_id == created["Id"] and r.object_type == "JournalEntry"]
    assert kept.reason == f"accounts not mapped: {used}"
    save_mapping(qbo.db, qbo.company_id, mapping)
    result = sync(qbo)
    assert result.ok
    assert result.counts["created"] == 1
    with qbo.db.read_session() as session:
        row = session.execute(select(JournalEntryRow).where(
            JournalEntryRow.qbo_id == created["Id"])).scalar_one()
        assert row.memo == "uses the unmapped account"
    assert all(n == 1 for n in remote_rows(qbo).values())


def test_more_changes_than_one_cdc_answer_holds(qbo: Books) -> None:
    assert sync(qbo).ok
    api = qbo.sandbox.api
    template = api.objects(qbo.tenant, "JournalEntry")[0]
    made = {api.remote_create(qbo.tenant, "JournalEntry", {
        "TxnDate": "2026-11-04", "PrivateNote": f"bulk {n}",
        "Line": [{**line, "Id": None} for line in template["Line"]]})["Id"]
        for n in range(1150)}
    result = sync(qbo)  # CDC answers at most 1,000 objects: the pull must go on past them
    assert result.ok, result.message
    assert result.counts["created"] == 1150
    rows = remote_rows(qbo)
    assert all(n == 1 for n in rows.values())
    assert made <= {rid for kind, rid in rows if kind == "JournalEntry"}


def test_xero_incremental_pull_pages_past_1000(xero: Books) -> None:
    assert sync(xero).ok
    api = xero.sandbox.api
    template = next(j for j in api.objects(xero.tenant, "ManualJournals")
                    if j["Status"] == "POSTED")
    made = {api.remote_create(xero.tenant, "ManualJournals", {
        "Narration": f"bulk {n}", "Date": "2026-11-04", "Status": "POSTED",
        "JournalLines": [{"LineAmount": line["LineAmount"], "AccountCode": line["AccountCode"]}
                         for line in template["JournalLines"]]})["ManualJournalID"]
        for n in range(1020)}
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["created"] == 1020
    rows = remote_rows(xero)
    assert all(n == 1 for n in rows.values())
    assert made <= {rid for kind, rid in rows if kind == "ManualJournals"}
    for entry in entry_service.iter_entries(xero.db, xero.company_id, EntryFilter()):
        assert entry.is_balanced


def test_a_first_pull_says_how_many_transactions_it_has_read_so_far(qbo: Books) -> None:
    """The card's words (issue 15): the count of transactions stored, page by page, never
    going back, with no total (QBO does not say how many there are)."""
    qbo.sandbox.api.bulk_create_journal_entries(qbo.tenant, 2100)
    seen: list[ProgressSnapshot] = []
    result = sync(qbo, push=False, progress=Progress(seen.append))
    assert result.ok, result.message
    reading = [s for s in seen if s.phase == "Reading transactions from QuickBooks Online"]
    counts = [s.done for s in reading]
    assert counts == sorted(counts)
    assert {1000, 2000} <= set(counts)
    assert counts[-1] >= 2100
    assert all(s.total is None for s in reading)


def test_a_full_query_stopped_midway_resumes_at_its_page(qbo: Books) -> None:
    qbo.sandbox.api.bulk_create_journal_entries(qbo.tenant, 2100)
    progress = Progress()
    pages: list[int] = []

    def stop_after_first_page(snapshot: ProgressSnapshot) -> None:
        # JournalEntry is read first: the first count of transactions read is its start.
        if snapshot.phase == "Reading transactions from QuickBooks Online":
            pages.append(1)
            progress.cancel()  # honoured at the next safe point: after the first page commits

    progress = Progress(stop_after_first_page)
    stopped = sync(qbo, push=False, progress=progress)
    assert stopped.status is RunStatus.CANCELLED
    with qbo.db.read_session() as session:
        cursor = session.execute(select(SyncCursorRow.cursor_value).where(
            SyncCursorRow.entity == "JournalEntry")).scalar_one()
    assert cursor.startswith("full:")
    assert cursor.endswith("|1001")
    assert local_entries(qbo) == 1000
    resumed = sync(qbo, push=False)
    assert resumed.ok, resumed.message
    total = len(qbo.sandbox.api.objects(qbo.tenant, "JournalEntry"))
    rows = remote_rows(qbo)
    assert all(n == 1 for n in rows.values())
    assert sum(1 for kind, _ in rows if kind == "JournalEntry") == total
    assert resumed.counts["created"] == local_entries(qbo) - 1000
    # The resumed query started at position 1,001: the accounts, the customers and vendors
    # changed since the first pull (one query each), a count(*) for each of the 8 entities,
    # two more JournalEntry pages (not three) and one page for each of the 7 other entities.
    assert total < 3000
    assert resumed.counts["api_calls"] == 1 + 2 + 8 + 2 + 7


def _mapping_of(books: Books, account_id: int) -> AccountMapping:
    return next(m for m in list_mappings(books.db, books.company_id, books.provider)
                if m.account_id == account_id)


def test_a_qbo_account_renamed_there_is_followed_by_its_mapping_not_by_our_name(
        qbo: Books) -> None:
    assert sync(qbo).ok
    account_id = mapped_accounts(qbo, 1)[0]
    ours = account_service.get_account(qbo.db, qbo.company_id, account_id)
    mapping = _mapping_of(qbo, account_id)
    assert mapping.remote_id is not None
    qbo.sandbox.api.remote_edit(qbo.tenant, "Account", mapping.remote_id,
                                {"Name": "Renamed There", "FullyQualifiedName": "Renamed There",
                                 "AcctNum": "9911"})
    result = sync(qbo)
    assert result.ok, result.message
    assert result.counts["accounts_renamed"] == [
        f"QuickBooks Online account name '{mapping.remote_name}' → 'Renamed There' and code "
        f"'{mapping.remote_code or ''}' → '9911'"]
    assert "1 account(s) renamed in QuickBooks Online" in result.summary
    followed = _mapping_of(qbo, account_id)
    assert (followed.remote_id, followed.remote_name, followed.remote_code, followed.state) == (
        mapping.remote_id, "Renamed There", "9911", mapping.state)
    kept = account_service.get_account(qbo.db, qbo.company_id, account_id)
    assert (kept.full_name, kept.code) == (ours.full_name, ours.code)  # ours is never renamed
    trail = audit_log(qbo.db, qbo.company_id, object_type="account", object_id=account_id)
    assert trail[0].action == "remote_account_changed"
    assert trail[0].details["new_name"] == "Renamed There"
    # Reported once, not on every run after.
    assert sync(qbo).counts["accounts_renamed"] == []


def test_a_xero_account_renumbered_there_keeps_pushes_working(xero: Books) -> None:
    assert sync(xero).ok
    debit, _credit = mapped_accounts(xero)
    mapping = _mapping_of(xero, debit)
    assert mapping.remote_id is not None
    assert mapping.remote_code
    xero.sandbox.api.remote_edit(xero.tenant, "Accounts", mapping.remote_id,
                                 {"Code": "987", "Name": "Renumbered Expenses"})
    made = make_entries(xero, 3)
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["pushed"] == len(made)
    assert len(result.counts["accounts_renamed"]) == 1
    assert _mapping_of(xero, debit).remote_code == "987"
    # Our journals went to Xero naming the account by its new code, none by the old one.
    ours = [j for j in remote_journals(xero) if "[bk:" in note(xero, j)]
    assert len(ours) == len(made)
    codes = {line["AccountCode"] for journal in ours for line in journal["JournalLines"]}
    assert "987" in codes
    assert mapping.remote_code not in codes


def test_a_mapping_by_code_alone_learns_the_xero_account_id(xero: Books) -> None:
    assert sync(xero).ok
    account_id = mapped_accounts(xero, 1)[0]
    mapping = _mapping_of(xero, account_id)
    remove_mapping(xero.db, xero.company_id, "xero", account_id)
    save_mapping(xero.db, xero.company_id, AccountMapping(
        account_id=account_id, provider="xero", remote_id=None, remote_code=mapping.remote_code,
        remote_name=mapping.remote_name, state=MappingState.CONFIRMED))
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["accounts_renamed"] == []
    assert _mapping_of(xero, account_id).remote_id == mapping.remote_id


def _cdc_calls(books: Books) -> int:
    return sum(n for path, n in state(books)["requests"]["by_path"].items()
               if path.endswith("/cdc"))


def _copy_of(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {k: v for k, v in obj.items() if k not in ("Id", "SyncToken", "MetaData", "domain")}
    body["Line"] = [{**line, "Id": None} for line in obj["Line"]]
    return {**body, **changes}


def test_an_incremental_qbo_pull_asks_cdc_once_for_every_entity(qbo: Books) -> None:
    assert sync(qbo).ok
    api = qbo.sandbox.api
    journal = api.objects(qbo.tenant, "JournalEntry")[0]
    purchase = api.objects(qbo.tenant, "Purchase")[0]
    api.remote_edit(qbo.tenant, "JournalEntry", journal["Id"], {"DocNumber": "EDITED-1"})
    api.remote_edit(qbo.tenant, "Purchase", purchase["Id"], {"PrivateNote": "edited there"})
    # One entity's cursor is older than the others (its last pull died after the others): the
    # one call starts at the oldest, and what the others already have is skipped, not doubled.
    with qbo.db.session() as session:
        row = session.execute(select(SyncCursorRow).where(
            SyncCursorRow.company_id == qbo.company_id,
            SyncCursorRow.entity == "Deposit")).scalar_one()
        row.cursor_value = (dt.datetime.fromisoformat(row.cursor_value)
                            - dt.timedelta(days=2)).isoformat()
    qbo.sandbox.reset_counts()
    result = sync(qbo, push=False)
    assert result.ok, result.message
    assert _cdc_calls(qbo) == 1
    assert result.counts["updated"] + result.counts["unposted"] == 2
    assert all(n == 1 for n in remote_rows(qbo).values())
    with qbo.db.read_session() as session:
        cursors = {row.entity: row.cursor_value for row in session.execute(
            select(SyncCursorRow).where(SyncCursorRow.company_id == qbo.company_id)).scalars()}
    # Every transaction entity moved to the same answer's time (contacts have their own query).
    assert len({v for entity, v in cursors.items() if entity in QBO_ENTITIES}) == 1


def test_a_full_cdc_answer_spread_over_two_entities_pages_on(db: Database,
                                                           keychain: Keychain) -> None:
    """CDC's 1,000 objects are per answer, across its entities (oldest first): 650 journal
    entries and then 650 purchases take two calls, and nothing is lost or doubled at the seam.
    The sandbox's clock is moved by hand so that the two batches have different times."""
    clock = FakeClock(time.time())
    with QboSandbox(limits=True, time_scale=TIME_SCALE, clock=clock) as server:
        qbo = connect_books(db, "qbo", server, keychain)
        assert sync(qbo).ok
        api = server.api
        journal = api.objects(qbo.tenant, "JournalEntry")[0]
        purchase = next(p for p in api.objects(qbo.tenant, "Purchase")
                        if all("AccountBasedExpenseLineDetail" in line for line in p["Line"]))
        clock.advance(10)
        made = {("JournalEntry", api.remote_create(qbo.tenant, "JournalEntry", _copy_of(
            journal, DocNumber=f"J-{n}", PrivateNote=f"bulk {n}"))["Id"]) for n in range(650)}
        clock.advance(10)
        made |= {("Purchase", api.remote_create(qbo.tenant, "Purchase", _copy_of(
            purchase, PrivateNote=f"bulk {n}"))["Id"]) for n in range(650)}
        clock.advance(10)
        server.reset_counts()
        result = sync(qbo, push=False)
        assert result.ok, result.message
        # The first answer held the 650 journal entries and the oldest 350 purchases; the
        # second started at the purchases' time and held all 650 (350 seen, skipped).
        assert _cdc_calls(qbo) == 2
        rows = remote_rows(qbo)
        assert made <= set(rows)
        assert all(n == 1 for n in rows.values())
        assert result.counts["created"] == 1300
