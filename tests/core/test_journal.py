import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import ValidationError, WorkflowError
from bookkeeper_desktop.core.journal import (
    EntryStatus,
    JournalEntry,
    JournalLine,
    balance_by_account,
    ensure_editable,
    ensure_valid,
    transition,
    validate_entry,
)
from bookkeeper_desktop.core.money import money
from tests.core.strategies import balanced_entries, chart, unbalanced_entries

ACCOUNTS = chart()
IDS = list(ACCOUNTS)


def entry(*lines: JournalLine, date: dt.date | None = dt.date(2026, 3, 1)) -> JournalEntry:
    return JournalEntry(date=date, lines=lines, number="JE-1")


def test_a_balanced_entry_is_valid() -> None:
    e = entry(JournalLine.of(1, "100.00"), JournalLine.of(2, "-60.00"), JournalLine.of(3, "-40"))
    assert validate_entry(e, ACCOUNTS) == []
    assert e.is_balanced
    assert e.total_debit == Decimal("100.00")


def test_every_problem_is_listed_at_once() -> None:
    inactive = {**ACCOUNTS, 9: Account("Old", AccountType.EXPENSE, id=9, active=False)}
    e = entry(
        JournalLine(1, debit=money("10.00"), credit=money("5.00")),
        JournalLine(2),
        JournalLine(9, credit=money("1.00")),
        JournalLine(42, credit=money("2.00")),
        date=None,
    )
    problems = validate_entry(e, inactive)
    text = "\n".join(problems)
    assert "no date" in text
    assert "Line 1 has both a debit and a credit" in text
    assert "Line 2 has no amount" in text
    assert "'Old' is inactive" in text
    assert "account #42 does not exist" in text
    assert "does not balance" in text
    assert len(problems) == 6


def test_unbalanced_by_a_cent_is_refused_with_the_difference() -> None:
    e = entry(JournalLine.of(1, "100.00"), JournalLine.of(2, "-99.99"))
    with pytest.raises(ValidationError) as info:
        ensure_valid(e, ACCOUNTS)
    assert info.value.problems == (
        "The entry does not balance: debits exceed credits by 0.01 "
        "(debits 100.00, credits 99.99).",
    )


def test_one_line_is_not_an_entry() -> None:
    problems = validate_entry(entry(JournalLine.of(1, "0.01")), ACCOUNTS)
    assert any("at least two lines" in p for p in problems)


def test_negative_and_sub_cent_amounts_are_refused() -> None:
    e = entry(JournalLine(1, debit=Decimal("-5.00")), JournalLine(2, credit=Decimal("0.005")))
    text = "\n".join(validate_entry(e, ACCOUNTS))
    assert "debit is negative" in text
    assert "fractions of a cent" in text


def test_non_posting_accounts_cannot_take_lines() -> None:
    accounts = {**ACCOUNTS, 7: Account("Estimates", AccountType.NON_POSTING, id=7)}
    e = entry(JournalLine.of(7, "5"), JournalLine.of(1, "-5"))
    assert any("non-posting" in p for p in validate_entry(e, accounts))


def test_workflow() -> None:
    draft = entry(JournalLine.of(1, "5"), JournalLine.of(2, "-5"))
    approved = transition(draft, EntryStatus.APPROVED)
    posted = transition(approved, EntryStatus.POSTED)
    void = transition(posted, EntryStatus.VOID)
    assert [x.status for x in (draft, approved, posted, void)] == [
        EntryStatus.DRAFT, EntryStatus.APPROVED, EntryStatus.POSTED, EntryStatus.VOID]
    assert transition(approved, EntryStatus.DRAFT).status is EntryStatus.DRAFT
    with pytest.raises(WorkflowError, match="Approve it first"):
        transition(draft, EntryStatus.POSTED)
    with pytest.raises(WorkflowError, match="only be voided"):
        transition(posted, EntryStatus.DRAFT)
    with pytest.raises(WorkflowError):
        transition(void, EntryStatus.POSTED)
    with pytest.raises(WorkflowError):
        transition(draft, EntryStatus.VOID)
    ensure_editable(approved)
    with pytest.raises(WorkflowError, match="cannot be edited"):
        ensure_editable(posted)


def test_balances_skip_void_entries() -> None:
    a = entry(JournalLine.of(1, "10"), JournalLine.of(2, "-10")).with_changes(
        status=EntryStatus.POSTED)
    b = entry(JournalLine.of(1, "5"), JournalLine.of(3, "-5")).with_changes(status=EntryStatus.VOID)
    assert balance_by_account([a, b]) == {1: Decimal("10.00"), 2: Decimal("-10.00")}


@given(balanced_entries(IDS))
def test_any_balanced_entry_is_valid(e: JournalEntry) -> None:
    assert validate_entry(e, ACCOUNTS) == []
    assert sum((line.signed_amount for line in e.lines), Decimal(0)) == 0


@given(unbalanced_entries(IDS))
def test_any_unbalanced_entry_is_refused(e: JournalEntry) -> None:
    with pytest.raises(ValidationError) as info:
        ensure_valid(e, ACCOUNTS)
    assert any("does not balance" in p for p in info.value.problems)
