"""Undoing the last chart import (`services.coa_undo`) on SQLite and PostgreSQL: an import then
its undo leave every account field and the mappings as they were; used, changed-again and
parent accounts are kept with the reason in words; imports are undone newest first; a failure or
a cancel midway changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bookkeeper_desktop.core.accounts import Account, AccountSource, AccountType
from bookkeeper_desktop.core.errors import Cancelled, DuplicateError, NotFound, WorkflowError
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.money import money
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import coa_import, coa_undo, mappings
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.services.companies import create_company
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import AccountMappingRow, AccountRow, ChartImportRow

QBO_HEADER = "Account Number,Account Name,Type,Detail Type\r\n"


@pytest.fixture
def db(sqlite_or_postgres: Database) -> Database:
    return sqlite_or_postgres


@pytest.fixture
def company_id(db: Database) -> int:
    """A company with a small chart of its own: a bank, an expense with a subaccount, income."""
    company = create_company(db, "Undo Test", actor="tester")
    account_services.add_accounts(db, company.id, [
        Account("Checking", AccountType.BANK, code="1000", description="Main account"),
        Account("Office", AccountType.EXPENSE, code="6000", description="Office costs"),
        Account("Office:Software", AccountType.EXPENSE, code="6010"),
        Account("Sales", AccountType.INCOME, code="4000"),
    ], actor="tester")
    return company.id


def _file(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(QBO_HEADER + "".join(row + "\r\n" for row in rows), encoding="utf-8")
    return path


#: Adds three accounts (Travel is created as the parent of Travel:Meals), renames 6000 (so
#: Office:Software's path follows), changes the type of 4000.
CHART_ROWS = [
    "1000,Checking,Bank,Checking",
    "6000,Office Expenses,Expenses,Office/General Administrative Expenses",
    "4000,Sales,Other Income,Other Miscellaneous Income",
    "6100,Travel:Meals,Expenses,Travel Meals",
    "6200,Postage,Expenses,Office/General Administrative Expenses",
]


def _import(db: Database, company_id: int, path: Path) -> coa_import.ImportOutcome:
    outcome = coa_import.import_chart(db, company_id, path, actor="tester")
    assert outcome.applied
    return outcome


def _snapshot(db: Database, company_id: int) -> dict[str, Any]:
    """Every stored field of every account (but `updated_at`) and every mapping."""
    with db.read_session() as session:
        accounts = {row.id: {column.name: getattr(row, column.name)
                             for column in AccountRow.__table__.columns
                             if column.name != "updated_at"}
                    for row in session.execute(select(AccountRow).where(
                        AccountRow.company_id == company_id)).scalars()}
        maps = sorted((row.account_id, row.provider, row.remote_code, row.state)
                      for row in session.execute(select(AccountMappingRow)).scalars())
    return {"accounts": accounts, "mappings": maps}


def _by_name(db: Database, company_id: int) -> dict[str, Account]:
    return {a.full_name: a for a in account_services.list_accounts(db, company_id)}


def _entry(account_id: int, bank_id: int) -> JournalEntry:
    return JournalEntry(dt.date(2026, 11, 2), (
        JournalLine(account_id, debit=money("12.50")),
        JournalLine(bank_id, credit=money("12.50")),
    ), memo="Stamps")


def test_import_then_undo_leaves_every_account_field_as_before(
        db: Database, company_id: int, tmp_path: Path) -> None:
    before = _snapshot(db, company_id)
    outcome = _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS))
    assert {a.full_name for a in outcome.added} == {"Travel", "Travel:Meals", "Postage"}
    chart = _by_name(db, company_id)
    assert "Office Expenses:Software" in chart
    assert chart["Sales"].type is AccountType.OTHER_INCOME
    assert _snapshot(db, company_id)["mappings"], "a QBO chart proposes mappings"

    plan = coa_undo.plan_undo_last(db, company_id)
    assert plan is not None
    assert {i.full_name for i in plan.remove} == {"Travel", "Travel:Meals", "Postage"}
    # Checking gets the file's detail type, original type and source: a change too.
    assert {i.full_name for i in plan.restore} == {"Checking", "Office Expenses",
                                                   "Office Expenses:Software", "Sales"}
    assert plan.keep == ()
    restore = {i.full_name: i.detail for i in plan.restore}
    assert "name back to 'Office'" in restore["Office Expenses"]
    assert "type back to 'Income' (now 'Other income')" in restore["Sales"]
    assert "source back to 'added by hand' (now 'QuickBooks Online CSV file')" in \
        restore["Checking"]
    assert plan.summary().startswith("Undo the import of chart.csv from ")
    assert "remove 3 accounts, restore 4" in plan.summary()

    result = coa_undo.undo_last_import(db, company_id, import_id=plan.record.id, actor="tester")
    assert result.changes.accounts
    assert result.sentence() == "Undid the import of chart.csv: 3 accounts removed, 4 restored."
    assert _snapshot(db, company_id) == before
    assert coa_undo.last_import(db, company_id) is None
    audit = audit_log(db, company_id, object_type="chart_import")
    assert audit[0].action == "undo_import"
    assert audit[0].details["removed"] == 3
    assert audit[0].details["restored"] == 4


@pytest.mark.parametrize(("provider", "words"), [(AccountSource.QBO, "QuickBooks Online"),
                                                (AccountSource.XERO, "Xero")])
def test_the_preview_names_the_provider_an_account_came_from(
        db: Database, company_id: int, tmp_path: Path, provider: AccountSource,
        words: str) -> None:
    account_services.add_accounts(db, company_id, [
        Account("Rent", AccountType.EXPENSE, code="6500", source=provider)], actor="tester")
    _import(db, company_id, _file(tmp_path, "chart.csv",
                                  ["6500,Rent,Expenses,Rent or Lease of Buildings"]))
    plan = coa_undo.plan_undo_last(db, company_id)
    assert plan is not None
    restore = {i.full_name: i.detail for i in plan.restore}
    assert f"source back to '{words}' (now 'QuickBooks Online CSV file')" in restore["Rent"]


def test_used_accounts_are_kept_with_the_reason_and_the_rest_removed(
        db: Database, company_id: int, tmp_path: Path) -> None:
    _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS))
    chart = _by_name(db, company_id)
    bank = chart["Checking"].id
    assert bank is not None
    for _ in range(3):
        entry_services.save_draft(db, company_id, _entry(chart["Postage"].id or 0, bank))
    remote = mappings.list_mappings(db, company_id, "qbo")
    meals = chart["Travel:Meals"].id
    assert any(m.account_id == meals for m in remote)
    mappings.confirm_mappings(db, company_id, "qbo", [meals or 0], accept_warnings=True)

    result = coa_undo.undo_last_import(db, company_id)
    kept = {i.full_name: i.detail for i in result.plan.keep}
    assert kept == {
        "Postage": "used by 3 entries",
        "Travel:Meals": "mapped to the QuickBooks Online account 'Travel:Meals'",
        "Travel": "has the subaccount 'Travel:Meals'",
    }
    assert result.plan.remove == ()
    after = _by_name(db, company_id)
    assert {"Postage", "Travel", "Travel:Meals", "Office", "Office:Software"} <= set(after)
    with db.read_session() as session:
        record = session.execute(select(ChartImportRow)).scalar_one()
    assert record.undone_at is not None
    assert {"full_name": "Postage", "reason": "used by 3 entries"} in record.undo_result["kept"]


def test_accounts_changed_again_since_the_import_are_left_as_the_user_made_them(
        db: Database, company_id: int, tmp_path: Path) -> None:
    _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS))
    chart = _by_name(db, company_id)
    account_services.update_account(db, company_id, chart["Office Expenses"].with_changes(
        description="Edited after the import"), actor="tester")
    account_services.update_account(db, company_id, chart["Postage"].with_changes(
        full_name="Postage and Courier"), actor="tester")

    plan = coa_undo.plan_undo_last(db, company_id)
    assert plan is not None
    kept = {i.full_name: i.detail for i in plan.keep}
    assert kept["Office Expenses"] == "changed since the import"
    assert kept["Postage and Courier"] == "changed since the import"
    # Its subaccount was renamed with it by the import and is still as the import left it;
    # it is restored on its own only if its name needs no parent change: here it does.
    assert kept["Office Expenses:Software"] == "its parent account is kept as it is"
    assert "keep 3 (used or changed since)" in plan.summary()
    coa_undo.undo_last_import(db, company_id)
    after = _by_name(db, company_id)
    assert after["Office Expenses"].description == "Edited after the import"
    assert "Postage and Courier" in after
    assert "Travel" not in after
    assert after["Sales"].type is AccountType.INCOME


def test_two_imports_are_undone_newest_first(db: Database, company_id: int,
                                            tmp_path: Path) -> None:
    original = _snapshot(db, company_id)
    _import(db, company_id, _file(tmp_path, "first.csv", CHART_ROWS))
    after_first = _snapshot(db, company_id)
    _import(db, company_id, _file(tmp_path, "second.csv", [
        "6200,Postage and Stamps,Expenses,Office/General Administrative Expenses",
        "6300,Bank Fees,Expenses,Bank Charges",
    ]))
    last = coa_undo.last_import(db, company_id)
    assert last is not None
    assert last.file_name == "second.csv"

    second = coa_undo.undo_last_import(db, company_id)
    assert second.plan.record.file_name == "second.csv"
    assert [i.full_name for i in second.plan.remove] == ["Bank Fees"]
    assert _snapshot(db, company_id) == after_first
    first = coa_undo.plan_undo_last(db, company_id)
    assert first is not None
    assert first.record.file_name == "first.csv"
    coa_undo.undo_last_import(db, company_id, import_id=first.record.id)
    assert _snapshot(db, company_id) == original
    assert coa_undo.plan_undo_last(db, company_id) is None


def test_nothing_to_undo_says_so(db: Database, company_id: int, tmp_path: Path) -> None:
    assert coa_undo.plan_undo_last(db, company_id) is None
    with pytest.raises(NotFound, match="no chart import to undo"):
        coa_undo.undo_last_import(db, company_id)
    # An import that changes nothing (the same file again) is nothing to undo either.
    path = _file(tmp_path, "same.csv", ["1000,Checking,Bank,Checking"])
    _import(db, company_id, path)
    first = coa_undo.last_import(db, company_id)
    _import(db, company_id, path)
    assert coa_undo.last_import(db, company_id) == first
    coa_undo.undo_last_import(db, company_id)
    assert coa_undo.plan_undo_last(db, company_id) is None


def test_a_clash_midway_rolls_the_whole_undo_back(db: Database, company_id: int,
                                                  tmp_path: Path) -> None:
    """Restoring 'Office Expenses' to 'Office' takes the subaccount added since along to
    'Office:Printing', which the user also made under another name: the database refuses, and
    the accounts already restored or removed in that transaction come back."""
    _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS))
    account_services.add_accounts(db, company_id, [
        Account("Office Expenses:Printing", AccountType.EXPENSE, code="6020"),
    ], actor="tester")
    with db.session() as session:  # a row no service would write: the clash's other half
        session.add(AccountRow(company_id=company_id, full_name="Office:Printing",
                               name="Printing", type="expense", description="", extra={}))
    before = _snapshot(db, company_id)
    plan = coa_undo.plan_undo_last(db, company_id)
    assert plan is not None
    assert len(plan.remove) == 3

    with pytest.raises(DuplicateError):
        coa_undo.undo_last_import(db, company_id, import_id=plan.record.id)
    assert _snapshot(db, company_id) == before
    assert coa_undo.last_import(db, company_id) == plan.record


def test_a_cancel_midway_changes_nothing(db: Database, company_id: int, tmp_path: Path) -> None:
    _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS))
    before = _snapshot(db, company_id)
    progress = Progress(on_report=lambda snapshot: progress.cancel()
                        if snapshot.done >= 2 else None)
    with pytest.raises(Cancelled):
        coa_undo.undo_last_import(db, company_id, progress=progress)
    assert _snapshot(db, company_id) == before
    assert coa_undo.last_import(db, company_id) is not None


def test_a_preview_made_stale_by_another_import_is_refused(db: Database, company_id: int,
                                                           tmp_path: Path) -> None:
    _import(db, company_id, _file(tmp_path, "first.csv", CHART_ROWS))
    plan = coa_undo.plan_undo_last(db, company_id)
    assert plan is not None
    _import(db, company_id, _file(tmp_path, "second.csv", ["6300,Bank Fees,Expenses,Bank Charges"]))
    before = _snapshot(db, company_id)
    with pytest.raises(WorkflowError, match=r"second\.csv"):
        coa_undo.undo_last_import(db, company_id, import_id=plan.record.id)
    assert _snapshot(db, company_id) == before


def test_the_import_records_before_and_after_values_in_its_transaction(
        db: Database, company_id: int, tmp_path: Path) -> None:
    """A failed import leaves no record; an applied one records adds, changes and proposals."""
    bad = _file(tmp_path, "clash.csv", ["6100,Travel:Meals,Expenses,Travel Meals"])
    preview = coa_import.preview_import(db, company_id, bad)
    account_services.add_account(db, company_id, Account("Other", AccountType.EXPENSE,
                                                         code="6100"), actor="tester")
    with pytest.raises(DuplicateError):
        coa_import.apply_import(db, company_id, preview, actor="tester")
    assert coa_undo.last_import(db, company_id) is None
    _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS[:3]))
    record = coa_undo.last_import(db, company_id)
    assert record is not None
    assert (record.file_name, record.added, record.changed, record.actor) == (
        "chart.csv", 0, 4, "tester")


def test_a_rule_or_a_statement_link_keeps_an_added_account(db: Database, company_id: int,
                                                           tmp_path: Path) -> None:
    from bookkeeper_desktop.core.categorise import Rule
    from bookkeeper_desktop.services.statement_review import add_rule
    from bookkeeper_desktop.storage.schema import StatementAccountRow

    _import(db, company_id, _file(tmp_path, "chart.csv", CHART_ROWS))
    chart = _by_name(db, company_id)
    add_rule(db, company_id, Rule("royal mail", chart["Postage"].id or 0), actor="tester")
    with db.session() as session:  # as the statement import remembers an account for a bank's
        session.add(StatementAccountRow(company_id=company_id, account_key="iban:GB00TEST",
                                        account_id=chart["Travel:Meals"].id, label="Card"))
    result = coa_undo.undo_last_import(db, company_id)
    kept = {i.full_name: i.detail for i in result.plan.keep}
    assert kept == {"Postage": "used by 1 rule",
                    "Travel:Meals": "linked to a bank or card statement account",
                    "Travel": "has the subaccount 'Travel:Meals'"}


def test_an_added_subaccount_of_a_renamed_account_goes_without_following_the_rename(
        db: Database, company_id: int, tmp_path: Path) -> None:
    """The import renames Office and adds a subaccount under its new name: the undo removes
    that subaccount instead of first moving it back under 'Office' (where the name is taken)."""
    before = _snapshot(db, company_id)
    _import(db, company_id, _file(tmp_path, "chart.csv", [
        "6000,Office Expenses,Expenses,Office/General Administrative Expenses",
        "6030,Office Expenses:Printing,Expenses,Office/General Administrative Expenses"]))
    with db.session() as session:  # the name the subaccount would take if it followed
        session.add(AccountRow(company_id=company_id, full_name="Office:Printing",
                               name="Printing", type="expense", description="", extra={}))
    with_row = _snapshot(db, company_id)
    result = coa_undo.undo_last_import(db, company_id)
    assert [i.full_name for i in result.plan.remove] == ["Office Expenses:Printing"]
    after = _snapshot(db, company_id)
    added_since = set(with_row["accounts"]) - set(before["accounts"]) - {
        i.account_id for i in result.plan.remove}
    assert {k: v for k, v in after["accounts"].items() if k not in added_since} \
        == before["accounts"]
    assert [after["accounts"][i]["full_name"] for i in added_since] == ["Office:Printing"]
