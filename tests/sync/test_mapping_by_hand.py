"""Mapping by hand and creating accounts at the provider, against the real sandboxes: a company
whose chart shares nothing with the provider's can map every account, or create the missing
ones there, and then sync sends everything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import Cancelled, NotFound, ValidationError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.mappings import (
    AccountMapping,
    MappingState,
    confirm_mappings,
    find_remote_account,
    list_remote_accounts,
    map_by_hand,
    mapping_by_account,
    propose_mappings,
)
from bookkeeper_desktop.services.remote_accounts import (
    CreateOutcome,
    create_remote_accounts,
    plan_remote_accounts,
)
from tests.sync.conftest import Books
from tests.sync.helpers import sync


def _ours(books: Books, name: str, kind: AccountType, code: str | None) -> int:
    account = account_service.add_account(books.db, books.company_id,
                                          Account(full_name=name, type=kind, code=code))
    assert account.id is not None
    return account.id


def _create(books: Books, account_ids: list[int] | None = None,
            progress: Progress | None = None) -> CreateOutcome:
    with books.client() as client:
        return create_remote_accounts(books.db, books.company_id, books.provider, account_ids,
                                      progress=progress, client=client)


def _remote_chart(books: Books) -> list[dict[str, object]]:
    return list(books.sandbox.api.objects(
        books.tenant, "Account" if books.provider == "qbo" else "Accounts"))


def _remote_named(books: Books, name: str) -> list[dict[str, object]]:
    key = "FullyQualifiedName" if books.provider == "qbo" else "Name"
    return [a for a in _remote_chart(books)
            if str(a.get(key, "")).lower() == name.lower()]


def test_any_account_can_be_mapped_by_hand_to_any_remote_account(qbo: Books) -> None:
    assert sync(qbo).ok
    wages = _ours(qbo, "Wages Here", AccountType.EXPENSE, "9910")
    bonus = _ours(qbo, "Bonus Here", AccountType.EXPENSE, "9920")
    remotes = list_remote_accounts(qbo.db, qbo.company_id, "qbo")
    assert remotes
    assert all(r.key for r in remotes)
    expense = next(r for r in remotes if r.account_type is AccountType.EXPENSE)
    income = next(r for r in remotes if r.account_type is AccountType.INCOME)
    # The picker's search and the CLI's lookup (by id, number or name).
    assert expense in [r for r in remotes if r.matches(expense.name.split()[0])]
    assert find_remote_account(remotes, expense.name.upper()) == expense
    assert find_remote_account(remotes, expense.key) == expense
    with pytest.raises(NotFound):
        find_remote_account(remotes, "no such account anywhere")
    mapping = map_by_hand(qbo.db, qbo.company_id, "qbo", wages, expense)
    assert (mapping.state, mapping.proposal_reason, mapping.warning) == (
        MappingState.CONFIRMED, "chosen by hand", "")
    assert mapping.remote_id == expense.key
    # Another kind is allowed by hand, and the mapping says so.
    odd = map_by_hand(qbo.db, qbo.company_id, "qbo", bonus, income)
    assert odd.warning == "different kind: Expense here, Income there"


def test_a_flagged_proposal_is_confirmed_only_when_the_user_accepts_it(qbo: Books) -> None:
    utilities = _ours(qbo, "Utilities Here", AccountType.EXPENSE, "9930")
    propose_mappings(qbo.db, qbo.company_id, [AccountMapping(
        utilities, "qbo", "1", "6080", "Travel:Meals", proposal_reason="number and type",
        warning="names differ")])
    with pytest.raises(ValidationError) as refused:
        confirm_mappings(qbo.db, qbo.company_id, "qbo", [utilities])
    assert "Utilities Here → Travel:Meals: names differ" in refused.value.problems
    assert mapping_by_account(qbo.db, qbo.company_id, "qbo")[utilities].state \
        is MappingState.PROPOSED
    assert confirm_mappings(qbo.db, qbo.company_id, "qbo", [utilities],
                            accept_warnings=True) == 1


def test_qbo_create_missing_previews_then_creates_once_with_parents(qbo: Books) -> None:
    assert sync(qbo).ok
    parent = _ours(qbo, "Staff Costs Here", AccountType.EXPENSE, "9940")
    child = _ours(qbo, "Staff Costs Here:Bonuses", AccountType.EXPENSE, "9941")
    too_long = _ours(qbo, "Long Number Here", AccountType.EXPENSE, "99500001")
    plan = {p.account_id: p for p in plan_remote_accounts(qbo.db, qbo.company_id, "qbo")}
    assert set(plan) == {parent, child, too_long}  # the pulled chart is mapped already
    assert plan[child].describe("qbo") == (
        "9941 Bonuses (Expense / OfficeGeneralAdministrativeExpenses) under Staff Costs Here")
    assert "longer than QuickBooks Online's 7 characters" in plan[too_long].problems[0]
    outcome = _create(qbo)
    assert outcome.created == ("Staff Costs Here", "Staff Costs Here:Bonuses")
    assert len(outcome.failed) == 1
    assert outcome.failed[0].startswith("Long Number Here: ")
    [made] = _remote_named(qbo, "Staff Costs Here:Bonuses")
    assert (made["AcctNum"], made["AccountType"]) == ("9941", "Expense")
    assert made["ParentRef"] == {"value": _remote_named(qbo, "Staff Costs Here")[0]["Id"]}
    mappings = mapping_by_account(qbo.db, qbo.company_id, "qbo", confirmed_only=True)
    assert mappings[child].remote_id == made["Id"]
    assert mappings[child].proposal_reason == "created in QuickBooks Online"
    # A retry (the answer was lost, the mapping not saved): found by name, not created twice.
    from bookkeeper_desktop.services.mappings import remove_mapping
    remove_mapping(qbo.db, qbo.company_id, "qbo", child)
    again = _create(qbo, [child])
    assert (again.created, again.found) == ((), ("Staff Costs Here:Bonuses",))
    assert len(_remote_named(qbo, "Staff Costs Here:Bonuses")) == 1


def test_xero_create_uses_codes_and_says_what_it_cannot_create(xero: Books) -> None:
    assert sync(xero).ok
    rent = _ours(xero, "Workshop Rent Here", AccountType.EXPENSE, "9950")
    long_code = _ours(xero, "Long Code Here", AccountType.EXPENSE, "99500000001")
    no_code = _ours(xero, "No Code Here", AccountType.INCOME, None)
    bank = _ours(xero, "Second Bank Here", AccountType.BANK, "9960")
    plan = {p.account_id: p for p in plan_remote_accounts(
        xero.db, xero.company_id, "xero", [rent, long_code, no_code, bank])}
    assert plan[rent].ok
    assert plan[rent].remote_type == "EXPENSE"
    assert "longer than Xero's 10 characters" in plan[long_code].problems[0]
    assert "Xero needs a code" in plan[no_code].problems[0]
    assert "bank account number" in plan[bank].problems[0]
    outcome = _create(xero, [rent, long_code, no_code, bank])
    assert outcome.created == ("Workshop Rent Here",)
    assert len(outcome.failed) == 3
    [made] = _remote_named(xero, "Workshop Rent Here")
    assert (made["Code"], made["Type"]) == ("9950", "EXPENSE")
    assert mapping_by_account(xero.db, xero.company_id, "xero")[rent].remote_code == "9950"


def test_an_account_of_another_kind_with_our_name_is_not_taken(xero: Books) -> None:
    taken = next(a for a in _remote_chart(xero) if a.get("Type") == "REVENUE")
    ours = _ours(xero, f"{taken['Name']} costs", AccountType.EXPENSE, str(taken["Code"]))
    assert sync(xero).ok  # their revenue account is not proposed for our expense
    proposal = mapping_by_account(xero.db, xero.company_id, "xero").get(ours)
    assert proposal is None or proposal.remote_code != taken["Code"]
    outcome = _create(xero, [ours])
    assert outcome.created == ()
    assert "already has an account" in outcome.failed[0]
    assert mapping_by_account(xero.db, xero.company_id, "xero").get(ours) == proposal


def test_cancel_between_accounts_keeps_what_was_created(qbo: Books) -> None:
    assert sync(qbo).ok
    first = _ours(qbo, "Cancel One", AccountType.EXPENSE, "9971")
    _ours(qbo, "Cancel Two", AccountType.EXPENSE, "9972")

    def on_report(snapshot: ProgressSnapshot) -> None:
        if "Cancel Two" in (snapshot.phase or ""):
            progress.cancel()  # the user presses Cancel while the second one is next

    progress = Progress(on_report)
    with pytest.raises(Cancelled):
        _create(qbo, progress=progress)
    assert first in mapping_by_account(qbo.db, qbo.company_id, "qbo", confirmed_only=True)
    assert _remote_named(qbo, "Cancel One")
    assert not _remote_named(qbo, "Cancel Two")


def test_unrelated_chart_after_create_missing_sync_sends_everything(xero: Books) -> None:
    assert sync(xero).ok
    fees = _ours(xero, "Consulting Fees Here", AccountType.INCOME, "9980")
    costs = _ours(xero, "Subcontractors Here", AccountType.EXPENSE, "9981")
    entry_service.bulk_insert_entries(xero.db, xero.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5), status=EntryStatus.POSTED, number=f"U-{n}",
        currency="NZD",  # the Xero organisation's: a manual journal has no currency
        lines=(JournalLine.of(costs, Decimal("12.50")),
               JournalLine.of(fees, Decimal("-12.50")))) for n in range(3)])
    before = sync(xero)
    assert before.counts["pushed"] == 0  # nothing to name those accounts by yet
    outcome = _create(xero)
    assert {"Consulting Fees Here", "Subcontractors Here"} <= set(outcome.created)
    after = sync(xero)
    assert after.ok, after.message
    assert after.counts["pushed"] == 3
