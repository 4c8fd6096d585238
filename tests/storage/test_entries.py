"""Journal entries through the services on a real database: round trips, validation, the
workflow with its audit trail, and the ledger table's SQL paging, filtering and sorting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import NotFound, ValidationError, WorkflowError
from bookkeeper_desktop.core.journal import (
    EntrySource,
    EntryStatus,
    JournalEntry,
    JournalLine,
    balance_by_account,
)
from bookkeeper_desktop.services import accounts, entries
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import Company, EntryFilter, EntrySort, SortColumn
from tests.core.strategies import balanced_entries, unbalanced_entries

HYPOTHESIS = settings(max_examples=25, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def _entry(chart: dict[str, Account], amount: str = "100.00", *, day: int = 1,
           memo: str = "Office chairs", debit: str = "6000", credit: str = "1000",
           number: str = "") -> JournalEntry:
    return JournalEntry(
        date=dt.date(2026, 3, day), memo=memo, number=number,
        lines=(JournalLine.of(_id(chart, debit), amount, description="chairs"),
               JournalLine.of(_id(chart, credit), f"-{amount}", contact="Store")),
    )


def _id(chart: dict[str, Account], code: str) -> int:
    account_id = chart[code].id
    assert account_id is not None
    return account_id


# --- round trips and validation -----------------------------------------------------------------


@HYPOTHESIS
@given(data=st.data())
def test_any_balanced_entry_round_trips_unchanged(
    db: Database, company: Company, chart: dict[str, Account], data: st.DataObject,
) -> None:
    posting = [_id(chart, c) for c in ("1000", "1100", "2000", "4000", "6000", "6010")]
    entry = data.draw(balanced_entries(posting))
    saved = entries.save_draft(db, company.id, entry, actor="prop")
    assert saved.id is not None
    again = entries.get_entry(db, company.id, saved.id)
    expected = entry.with_changes(id=saved.id, company_id=company.id, status=EntryStatus.DRAFT)
    assert again == expected
    assert again.lines == entry.lines  # order, amounts to the cent, texts


@HYPOTHESIS
@given(data=st.data())
def test_any_unbalanced_entry_is_refused_and_nothing_is_stored(
    db: Database, company: Company, chart: dict[str, Account], data: st.DataObject,
) -> None:
    posting = [_id(chart, c) for c in ("1000", "4000", "6000")]
    entry = data.draw(unbalanced_entries(posting))
    before = entries.count_entries(db, company.id)
    with pytest.raises(ValidationError) as caught:
        entries.save_draft(db, company.id, entry)
    assert any("does not balance" in p for p in caught.value.problems)
    assert entries.count_entries(db, company.id) == before


def test_extreme_amounts_survive_exactly(db: Database, company: Company,
                                         chart: dict[str, Account]) -> None:
    big = "9999999999999999.99"  # the largest Numeric(18, 2)
    saved = entries.save_draft(db, company.id, _entry(chart, big))
    assert saved.id is not None
    back = entries.get_entry(db, company.id, saved.id)
    assert back.lines[0].debit == Decimal(big)
    assert entries.page_entries(db, company.id)[0].total == Decimal(big)


def test_every_problem_is_listed_at_once(db: Database, company: Company,
                                        chart: dict[str, Account]) -> None:
    bad = JournalEntry(date=None, lines=(
        JournalLine(_id(chart, "9000"), debit=Decimal("5.00")),
        JournalLine(424242, credit=Decimal("4.00")),
    ))
    with pytest.raises(ValidationError) as caught:
        entries.save_draft(db, company.id, bad)
    text = " ".join(caught.value.problems)
    assert "no date" in text
    assert "non-posting" in text
    assert "#424242 does not exist" in text
    assert "does not balance" in text


def test_an_account_of_another_company_does_not_exist_here(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    from bookkeeper_desktop.services import companies

    other = companies.create_company(db, "Other Books")
    with pytest.raises(ValidationError, match="cannot be saved") as caught:
        entries.save_draft(db, other.id, _entry(chart))
    assert any("does not exist" in p for p in caught.value.problems)


def test_add_entries_is_all_or_nothing(db: Database, company: Company,
                                       chart: dict[str, Account]) -> None:
    good = _entry(chart, "10.00")
    unbalanced = good.with_changes(lines=(good.lines[0],
                                          JournalLine.of(_id(chart, "1000"), "-9.99")))
    with pytest.raises(ValidationError):
        entries.add_entries(db, company.id, [good, unbalanced])
    assert entries.count_entries(db, company.id) == 0
    saved = entries.add_entries(db, company.id, [
        good.with_changes(status=EntryStatus.POSTED, source=EntrySource.QBO, qbo_id="77",
                          qbo_sync_token="3"),
    ])
    assert saved[0].status is EntryStatus.POSTED
    assert (saved[0].qbo_id, saved[0].qbo_sync_token, saved[0].source) == (
        "77", "3", EntrySource.QBO)


def test_an_inactive_account_takes_no_new_lines(db: Database, company: Company,
                                                chart: dict[str, Account]) -> None:
    accounts.deactivate_account(db, company.id, _id(chart, "6000"))
    with pytest.raises(ValidationError) as caught:
        entries.save_draft(db, company.id, _entry(chart))
    assert any("inactive" in p for p in caught.value.problems)


# --- workflow --------------------------------------------------------------------------------


def test_workflow_draft_approved_posted_void_with_audit_trail(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    draft = entries.save_draft(db, company.id, _entry(chart), actor="alice")
    assert draft.id is not None
    entry_id = draft.id
    assert entries.post_entries(db, company.id, [entry_id], actor="bob").refused[0].reason \
        .endswith("Approve it first.")
    assert entries.void_entries(db, company.id, [entry_id]).refused  # only posted can be void
    assert entries.approve_entries(db, company.id, [entry_id], actor="bob").done == (entry_id,)
    assert entries.post_entries(db, company.id, [entry_id], actor="carol").done == (entry_id,)
    posted = entries.get_entry(db, company.id, entry_id)
    assert posted.status is EntryStatus.POSTED

    with pytest.raises(WorkflowError, match="cannot be edited"):
        entries.update_entry(db, company.id, posted.with_changes(memo="sneaky"))
    assert entries.get_entry(db, company.id, entry_id).memo == "Office chairs"

    result = entries.void_entries(db, company.id, [entry_id], actor="dave", reason="duplicate")
    assert result.done == (entry_id,)
    assert entries.get_entry(db, company.id, entry_id).status is EntryStatus.VOID
    assert entries.void_entries(db, company.id, [entry_id]).refused[0].reason.endswith(
        "A voided entry stays void.")

    trail = [(r.actor, r.action, r.details.get("to"))
             for r in reversed(audit_log(db, company.id, object_type="entry",
                                         object_id=entry_id))]
    assert trail == [("alice", "create", None), ("bob", "approve", "approved"),
                     ("carol", "post", "posted"), ("dave", "void", "void")]
    void_row = audit_log(db, company.id, object_type="entry", object_id=entry_id, limit=1)[0]
    assert void_row.details["reason"] == "duplicate"


def test_refused_bulk_actions_change_nothing_and_write_no_audit(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    draft = entries.save_draft(db, company.id, _entry(chart))
    assert draft.id is not None
    before = len(audit_log(db, company.id))
    result = entries.post_entries(db, company.id, [draft.id, 999999])
    assert result.done == ()
    assert [r.entry_id for r in result.refused] == [draft.id, 999999]
    assert "no entry #999999" in result.refused[1].reason
    assert not result.ok
    assert len(audit_log(db, company.id)) == before
    assert entries.get_entry(db, company.id, draft.id).status is EntryStatus.DRAFT


def test_bulk_approve_does_what_it_can_and_reports_the_rest(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    ids = [e.id for e in entries.add_entries(db, company.id, [
        _entry(chart, "1.00"), _entry(chart, "2.00"),
        _entry(chart, "3.00").with_changes(status=EntryStatus.POSTED),
    ])]
    result = entries.approve_entries(db, company.id, ids)
    assert result.done == tuple(ids[:2])
    assert [r.entry_id for r in result.refused] == [ids[2]]
    assert "posted and cannot be made approved" in result.refused[0].reason
    assert result.changes.entries


def test_posting_revalidates_against_the_chart_of_today(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    entry = entries.save_draft(db, company.id, _entry(chart))
    assert entry.id is not None
    entries.approve_entries(db, company.id, [entry.id])
    accounts.deactivate_account(db, company.id, _id(chart, "6000"))
    result = entries.post_entries(db, company.id, [entry.id])
    assert result.refused
    assert "inactive" in result.refused[0].reason
    assert entries.get_entry(db, company.id, entry.id).status is EntryStatus.APPROVED


def test_editing_an_approved_entry_sends_it_back_to_draft(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    entry = entries.save_draft(db, company.id, _entry(chart))
    assert entry.id is not None
    entries.approve_entries(db, company.id, [entry.id])
    approved = entries.get_entry(db, company.id, entry.id)
    changed = approved.with_changes(
        memo="Chairs and a desk",
        lines=(JournalLine.of(_id(chart, "6010"), "250.00"),
               JournalLine.of(_id(chart, "6000"), "50.00"),
               JournalLine.of(_id(chart, "2000"), "-300.00")),
    )
    saved = entries.update_entry(db, company.id, changed, actor="erin")
    assert saved.status is EntryStatus.DRAFT
    assert saved.lines == changed.lines
    assert saved.memo == "Chairs and a desk"
    summary = entries.summaries_by_id(db, company.id, [entry.id])[entry.id]
    assert (summary.total, summary.line_count) == (Decimal("300.00"), 3)
    last = audit_log(db, company.id, object_type="entry", object_id=entry.id, limit=1)[0]
    assert (last.actor, last.action, last.details["total_after"]) == ("erin", "update", "300.00")


def test_an_update_with_an_invalid_entry_leaves_the_stored_one_alone(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    entry = entries.save_draft(db, company.id, _entry(chart))
    assert entry.id is not None
    broken = entry.with_changes(lines=entry.lines[:1])
    with pytest.raises(ValidationError):
        entries.update_entry(db, company.id, broken)
    assert entries.get_entry(db, company.id, entry.id) == entry


def test_delete_drafts_only(db: Database, company: Company, chart: dict[str, Account]) -> None:
    draft, posted = entries.add_entries(db, company.id, [
        _entry(chart), _entry(chart).with_changes(status=EntryStatus.POSTED)])
    assert draft.id is not None
    assert posted.id is not None
    result = entries.delete_drafts(db, company.id, [draft.id, posted.id])
    assert result.done == (draft.id,)
    assert "only drafts" in result.refused[0].reason
    with pytest.raises(NotFound):
        entries.get_entry(db, company.id, draft.id)
    assert audit_log(db, company.id, object_type="entry", object_id=draft.id, limit=1
                     )[0].action == "delete"


# --- the ledger table's queries ---------------------------------------------------------------


@pytest.fixture
def ledger(db: Database, company: Company, chart: dict[str, Account]) -> list[JournalEntry]:
    specs = [
        ("1.00", 5, EntryStatus.POSTED, "Rent March", "6000", "JE-1"),
        ("20.00", 3, EntryStatus.DRAFT, "rent April", "6010", "JE-2"),
        ("300.00", 9, EntryStatus.APPROVED, "Software 100%", "6010", "JE-3"),
        ("4000.00", 1, EntryStatus.POSTED, "Big sale", "1100", "INV_7"),
        ("0.50", 9, EntryStatus.VOID, "Oops", "6000", "JE-5"),
    ]
    made = [
        _entry(chart, amount, day=day, memo=memo, debit=debit,
               credit="4000" if debit == "1100" else "1000", number=number
               ).with_changes(status=status)
        for amount, day, status, memo, debit, number in specs
    ]
    return entries.add_entries(db, company.id, made)


def test_count_page_and_ids_filter_and_sort_in_sql(
    db: Database, company: Company, chart: dict[str, Account], ledger: list[JournalEntry],
) -> None:
    ids = {e.memo: e.id for e in ledger}
    everything = EntryFilter()
    assert entries.count_entries(db, company.id, everything) == 5
    by_date = entries.entry_ids(db, company.id, everything, EntrySort(SortColumn.DATE))
    assert by_date == [ids["Big sale"], ids["rent April"], ids["Rent March"],
                       ids["Software 100%"], ids["Oops"]]  # ties broken by id
    by_total = entries.entry_ids(db, company.id, everything, EntrySort(SortColumn.TOTAL, True))
    assert by_total[:2] == [ids["Big sale"], ids["Software 100%"]]

    page = entries.page_entries(db, company.id, everything, EntrySort(SortColumn.DATE),
                                offset=1, limit=2)
    assert [s.id for s in page] == by_date[1:3]
    assert page[0].total == Decimal("20.00")
    assert page[0].line_count == 2

    posted_or_void = EntryFilter.of_status(EntryStatus.POSTED, EntryStatus.VOID)
    assert entries.count_entries(db, company.id, posted_or_void) == 3
    march_first_week = EntryFilter(date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 5))
    assert set(entries.entry_ids(db, company.id, march_first_week)) == {
        ids["rent April"], ids["Rent March"]}
    assert set(entries.entry_ids(db, company.id, EntryFilter(text="RENT"))) == {
        ids["rent April"], ids["Rent March"]}
    # LIKE wildcards in the search text are taken literally.
    assert entries.entry_ids(db, company.id, EntryFilter(text="100%")) == [ids["Software 100%"]]
    assert entries.entry_ids(db, company.id, EntryFilter(text="INV_")) == [ids["Big sale"]]
    on_software = EntryFilter(account_id=_id(chart, "6010"))
    assert set(entries.entry_ids(db, company.id, on_software)) == {
        ids["rent April"], ids["Software 100%"]}
    assert entries.count_entries(db, company.id, EntryFilter(
        sources=frozenset({EntrySource.QBO}))) == 0


def test_the_contact_filter_keeps_entries_with_a_line_naming_it_in_any_case(
    db: Database, company: Company, chart: dict[str, Account], ledger: list[JournalEntry],
) -> None:
    named = entries.add_entries(db, company.id, [
        JournalEntry(dt.date(2026, 3, 20), (
            JournalLine.of(_id(chart, "1100"), "10.00", contact="Acme Ltd"),
            JournalLine.of(_id(chart, "4000"), "-10.00")), "C-1"),
        JournalEntry(dt.date(2026, 3, 21), (
            JournalLine.of(_id(chart, "6000"), "5.00"),
            JournalLine.of(_id(chart, "1000"), "-5.00", contact="ACME LTD")), "C-2"),
        JournalEntry(dt.date(2026, 3, 22), (
            JournalLine.of(_id(chart, "6000"), "5.00", contact="Acme Ltd Two"),
            JournalLine.of(_id(chart, "1000"), "-5.00")), "C-3"),
    ])
    acme = EntryFilter(contact="  acme   ltd ")
    assert set(entries.entry_ids(db, company.id, acme)) == {named[0].id, named[1].id}
    assert entries.count_entries(db, company.id, acme) == 2
    both = EntryFilter(contact="Acme Ltd", account_id=_id(chart, "1100"))
    assert entries.entry_ids(db, company.id, both) == [named[0].id]
    assert entries.count_entries(db, company.id, EntryFilter(contact="Nobody")) == 0
    assert entries.count_entries(db, company.id, EntryFilter(contact="")) == len(ledger) + 3


def test_summaries_by_id_and_get_entries_keep_to_the_company(
    db: Database, company: Company, ledger: list[JournalEntry],
) -> None:
    from bookkeeper_desktop.services import companies

    other = companies.create_company(db, "Elsewhere")
    ids = [e.id for e in ledger if e.id is not None]
    assert entries.summaries_by_id(db, other.id, ids) == {}
    assert entries.get_entries(db, other.id, ids) == []
    assert [e.id for e in entries.get_entries(db, company.id, ids[::-1])] == ids[::-1]
    streamed = list(entries.iter_entries(db, company.id, batch_size=2))
    assert sorted(e.id for e in streamed if e.id) == sorted(ids)


def test_trial_balance_counts_posted_entries_and_balances(
    db: Database, company: Company, chart: dict[str, Account], ledger: list[JournalEntry],
) -> None:
    tb = entries.trial_balance(db, company.id)
    assert tb.is_balanced
    by_code = {row.code: row for row in tb.rows}
    assert by_code["1100"].debit == Decimal("4000.00")
    assert by_code["4000"].credit == Decimal("4000.00")
    assert by_code["6000"].debit == Decimal("1.00")  # the void 0.50 does not count
    expected = balance_by_account(e for e in ledger if e.status is EntryStatus.POSTED)
    assert {r.account_id: r.debit - r.credit for r in tb.rows} == {
        k: v for k, v in expected.items() if v}
    wider = entries.trial_balance(db, company.id, statuses=list(EntryStatus),
                                  as_of=dt.date(2026, 3, 4))
    assert {r.code for r in wider.rows} == {"1000", "1100", "4000", "6010"}
    assert wider.is_balanced


def test_sums_in_sql_are_exact_to_the_cent(db: Database, company: Company,
                                           chart: dict[str, Account]) -> None:
    """Ten postings of 0.10 make exactly 1.00 (a float sum would not)."""
    entries.add_entries(db, company.id, [
        _entry(chart, "0.10").with_changes(status=EntryStatus.POSTED) for _ in range(10)])
    balances = accounts.account_balances(db, company.id)
    assert balances[_id(chart, "6000")] == Decimal("1.00")
    assert balances[_id(chart, "1000")] == Decimal("-1.00")


def test_two_programs_writing_at_once_both_succeed(
    db_url: str, db: Database, company: Company, chart: dict[str, Account],
) -> None:
    """Two open databases (as two copies of the app would have) save entries concurrently: write
    transactions wait for each other (BEGIN IMMEDIATE + busy timeout), none fails half way."""
    import threading

    from bookkeeper_desktop.storage.engine import open_database

    others = [open_database(db_url, busy_timeout_ms=10_000) for _ in range(2)]
    errors: list[BaseException] = []

    def work(database: Database, who: str) -> None:
        try:
            for n in range(15):
                entries.save_draft(database, company.id, _entry(chart, f"{n + 1}.00", memo=who))
                entries.approve_entries(database, company.id,
                                        entries.entry_ids(database, company.id,
                                                          EntryFilter(text=who))[-1:])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, f"writer {i}"))
               for i, d in enumerate(others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for other in others:
        other.close()
    assert errors == []
    assert entries.count_entries(db, company.id) == 30
    assert entries.count_entries(db, company.id, EntryFilter.of_status(EntryStatus.APPROVED)) == 30
