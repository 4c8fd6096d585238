"""The chart import and export services on a real SQLite database: preview then apply all or
nothing, the same file twice changes nothing, audit rows, mapping proposals; exports filtered,
checked, streamed from storage, read back by the strict readers, and logged with their SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import (
    Cancelled,
    DuplicateError,
    ExportError,
    FileFormatError,
    ValidationError,
)
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.formats import ExportOptions, xero_bank_csv, xero_csv
from bookkeeper_desktop.sample_data import create_sample_company
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import coa_import, exporting
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.services.companies import create_company
from bookkeeper_desktop.services.exports import export_history
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import AccountMappingRow

from . import strict


@pytest.fixture
def db(sqlite_or_postgres: Database) -> Database:
    return sqlite_or_postgres


@pytest.fixture
def company_id(db: Database) -> int:
    return create_company(db, "Import Test", actor="tester").id


def _chart(db: Database, company_id: int) -> dict[str, Account]:
    return {a.full_name: a for a in account_services.list_accounts(db, company_id)}


def _clean_qbo(tmp_path: Path, data: Path) -> Path:
    """The QBO import fixture without its bad row."""
    lines = (data / "qbo_coa_import.csv").read_bytes().split(b"\r\n")
    path = tmp_path / "coa.csv"
    path.write_bytes(b"\r\n".join(line for line in lines if b"Mystery" not in line))
    return path


# --- chart import --------------------------------------------------------------------------------


def test_import_then_the_same_file_again_changes_nothing(db: Database, company_id: int,
                                                         data: Path, tmp_path: Path) -> None:
    path = _clean_qbo(tmp_path, data)
    first = coa_import.import_chart(db, company_id, path, actor="tester")
    assert first.applied
    assert len(first.added) == 8  # 7 rows and the parent 'Travel'
    chart = _chart(db, company_id)
    assert chart["Travel:Meals"].type is AccountType.EXPENSE
    assert chart["Travel"].type is AccountType.EXPENSE
    paper = chart["Office:Paper, Ink and Toner"]
    assert (paper.code, paper.original_type, paper.source.value, paper.detail_type) == (
        "6010", "Expenses", "qbo_csv", "Office/General Administrative Expenses")
    second = coa_import.preview_import(db, company_id, path)
    assert (second.adds, second.updates, second.errors) == ((), (), ())
    assert len(second.skips) == 7
    again = coa_import.import_chart(db, company_id, path, actor="tester")
    assert (again.added, again.updated) == ((), ())
    assert _chart(db, company_id) == chart
    imports = [r for r in audit_log(db, company_id) if r.action == "import"]
    assert len(imports) == 2  # each import goes to the audit log
    assert imports[0].details["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert imports[1].details["added"] == 8
    assert imports[0].details["added"] == 0


@pytest.mark.parametrize("name", ["iif_kit_minimal.iif", "qbo_account_list.csv",
                                  "qbo_account_list_old.csv", "xero_chart.csv", "workbook"])
def test_every_layout_imported_twice_changes_nothing_the_second_time(
        db: Database, company_id: int, data: Path, tmp_path: Path, name: str) -> None:
    if name == "workbook":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in (["*Code", "*Name", "*Type", "*Tax Code"], ["090", "Petty Cash",
                    "Current Asset", "BAS Excluded"], [None, "Cheque", "Bank", None]):
            sheet.append(row)
        path = tmp_path / "chart.bin"
        workbook.save(path)
    elif name == "xero_chart.csv":  # without its three bad rows
        path = tmp_path / name
        path.write_bytes(b"\n".join(line for line in (data / name).read_bytes().split(b"\n")
                                    if not line.startswith((b"999", b",Petty", b"200,Sales a"))))
    else:
        path = data / name
    first = coa_import.import_chart(db, company_id, path)
    assert first.applied
    assert first.added
    chart = _chart(db, company_id)
    second = coa_import.preview_import(db, company_id, path)
    assert (second.adds, second.updates, second.errors) == ((), (), ())
    assert coa_import.import_chart(db, company_id, path).added == ()
    assert _chart(db, company_id) == chart


def test_a_file_with_errors_imports_nothing(db: Database, company_id: int, data: Path) -> None:
    outcome = coa_import.import_chart(db, company_id, data / "qbo_coa_import.csv")
    assert not outcome.applied
    assert [e.line for e in outcome.preview.errors] == [8]
    assert _chart(db, company_id) == {}
    with pytest.raises(FileFormatError, match="has 1 error"):
        coa_import.apply_import(db, company_id, outcome.preview)
    assert _chart(db, company_id) == {}
    assert not [r for r in audit_log(db, company_id) if r.action == "import"]


def test_apply_is_all_or_nothing(db: Database, company_id: int, data: Path,
                                 tmp_path: Path) -> None:
    path = _clean_qbo(tmp_path, data)
    preview = coa_import.preview_import(db, company_id, path)
    # someone adds an account the preview means to add, before Apply
    account_services.add_account(db, company_id, Account("Owner's Equity", AccountType.EQUITY))
    with pytest.raises(DuplicateError):
        coa_import.apply_import(db, company_id, preview)
    assert list(_chart(db, company_id)) == ["Owner's Equity"]


def test_cancel_during_apply_leaves_the_chart_untouched(db: Database, company_id: int,
                                                        data: Path, tmp_path: Path) -> None:
    preview = coa_import.preview_import(db, company_id, _clean_qbo(tmp_path, data))
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        coa_import.apply_import(db, company_id, preview, progress=progress)
    assert _chart(db, company_id) == {}


def test_updates_rename_and_reparent_in_one_go(db: Database, company_id: int, data: Path,
                                               tmp_path: Path) -> None:
    """'Taken' (code 6020) becomes 'Travel:Meals' under a 'Travel' the same import adds."""
    account_services.add_accounts(db, company_id, [
        Account("Taken", AccountType.EXPENSE, code="6020"),
        Account("Old Office Name", AccountType.EXPENSE, code="6000", description="keep me"),
    ])
    outcome = coa_import.import_chart(db, company_id, _clean_qbo(tmp_path, data))
    assert outcome.applied
    chart = _chart(db, company_id)
    assert "Taken" not in chart
    assert chart["Travel:Meals"].code == "6020"
    assert chart["Office"].description == "keep me"
    assert chart["Office:Paper, Ink and Toner"].code == "6010"
    updates = [r for r in audit_log(db, company_id, object_type="account")
               if r.action == "update"]
    assert {r.details["by"] for r in updates} == {"import"}


def test_renaming_a_parent_by_code_moves_its_subaccounts(db: Database, company_id: int,
                                                        tmp_path: Path) -> None:
    account_services.add_accounts(db, company_id, [
        Account("Old Office Name", AccountType.EXPENSE, code="6000"),
        Account("Old Office Name:Ink", AccountType.EXPENSE, code="6001"),
        Account("Old Office Name:Ink:Black", AccountType.EXPENSE, code="6002"),
    ])
    path = tmp_path / "coa.csv"
    path.write_text("Account Number,Account Name,Type,Detail Type\n6000,Office,Expenses,x\n"
                    "6003,Office:Ink:Colour,Expenses,x\n")
    outcome = coa_import.import_chart(db, company_id, path)
    assert outcome.applied
    chart = _chart(db, company_id)
    assert sorted(chart) == ["Office", "Office:Ink", "Office:Ink:Black", "Office:Ink:Colour"]
    assert chart["Office:Ink:Black"].code == "6002"
    assert chart["Office:Ink:Colour"].code == "6003"


def test_qbo_and_xero_charts_store_mapping_proposals(db: Database, company_id: int,
                                                     data: Path, tmp_path: Path) -> None:
    xero = tmp_path / "xero.csv"
    xero.write_bytes(b"\n".join(line for line in (data / "xero_chart.csv").read_bytes()
                                .split(b"\n") if not line.startswith((b"999", b",Petty",
                                                                      b"200,Sales again"))))
    outcome = coa_import.import_chart(db, company_id, xero)
    assert outcome.applied
    assert outcome.proposals == len(outcome.added) == 14
    with db.read_session() as session:
        rows = session.execute(select(AccountMappingRow)).scalars().all()
    assert {(r.provider, r.state) for r in rows} == {("xero", "proposed")}
    by_name = {r.remote_name: r for r in rows}
    assert by_name["Sales"].remote_code == "200"
    assert by_name["Sales"].proposal_reason == "number, name and type"
    assert by_name["Business Bank Account"].proposal_reason == "name and type"  # no code
    again = coa_import.import_chart(db, company_id, xero)
    assert again.proposals == 0  # never duplicated or overwritten
    iif = coa_import.import_chart(db, company_id, data / "iif_kit_minimal.iif")
    assert iif.applied
    assert iif.proposals == 0  # QuickBooks Desktop has no online accounts to map


def test_preview_of_a_non_chart_file_is_refused(db: Database, company_id: int,
                                                data: Path) -> None:
    with pytest.raises(FileFormatError, match="customer list"):
        coa_import.preview_import(db, company_id, data / "iif_customer_list.iif")


# --- exports -------------------------------------------------------------------------------------


@pytest.fixture
def sample(db: Database) -> int:
    company_id = create_sample_company(db, "Sample Books", entries=120).id
    _add_xero_journals(db, company_id)
    return company_id


def _add_xero_journals(db: Database, company_id: int) -> None:
    """Posted journals without bank, receivable or payable lines (depreciation, prepayments), which
    Xero's manual journals take; the sample's own entries all touch a bank, A/R or A/P account."""
    chart = _chart(db, company_id)
    pairs = [("Depreciation", "Equipment:Accumulated Depreciation", "125.00"),
             ("Insurance", "Prepaid Expenses", "80.50"),
             ("Wages", "Payroll Liabilities", "1500.00")]
    entries = [JournalEntry(dt.date(2026, 6, day), (
        JournalLine.of(chart[debit].id or 0, amount, tax_code="No GST" if day == 1 else ""),
        JournalLine.of(chart[credit].id or 0, f"-{amount}")), f"XJ-{day}", memo=f"Accrual {day}",
        status=EntryStatus.POSTED) for day, (debit, credit, amount) in enumerate(pairs, start=1)]
    entry_services.add_entries(db, company_id, entries)


def _xero_totals(db: Database, company_id: int) -> dict[str, Decimal]:
    """Per account code, the posted entries Xero's manual journals take."""
    accounts = account_services.accounts_by_id(db, company_id)
    totals: dict[str, Decimal] = {}
    for entry in entry_services.iter_entries(db, company_id, exporting.export_filter()):
        if xero_csv.entry_refusals(entry, accounts):
            continue
        for line in entry.lines:
            code = accounts[line.account_id].code or ""
            totals[code] = totals.get(code, Decimal("0.00")) + line.signed_amount
    return {k: v for k, v in totals.items() if v}


def _ledger_totals(db: Database, company_id: int, statuses: tuple[EntryStatus, ...], *,
                   key: str = "full_name", date_from: dt.date | None = None,
                   date_to: dt.date | None = None) -> dict[str, Decimal]:
    accounts = account_services.accounts_by_id(db, company_id)
    flt = exporting.export_filter(statuses, date_from, date_to)
    totals: dict[str, Decimal] = {}
    for entry in entry_services.iter_entries(db, company_id, flt):
        for line in entry.lines:
            account = accounts[line.account_id]
            name = account.code if key == "code" else account.full_name
            assert name is not None
            totals[name] = totals.get(name, Decimal("0.00")) + line.signed_amount
    return {k: v for k, v in totals.items() if v}


def test_export_each_format_from_storage_and_log_it(db: Database, sample: int,
                                                    tmp_path: Path) -> None:
    posted = _ledger_totals(db, sample, (EntryStatus.POSTED,))
    count = entry_services.count_entries(db, sample, exporting.export_filter())
    iif = exporting.export_entries(db, sample, "iif", tmp_path / "books.iif", actor="tester")
    assert strict.totals(strict.read_iif(tmp_path / "books.iif")[0]) == posted
    qbo = exporting.export_entries(db, sample, "qbo-csv", tmp_path / "books.csv")
    assert strict.totals(strict.read_qbo(tmp_path / "books.csv")) == posted
    xlsx = exporting.export_entries(db, sample, "xlsx", tmp_path / "books.xlsx")
    assert strict.read_xlsx(tmp_path / "books.xlsx")[1] == posted
    xero = exporting.export_entries(db, sample, "xero-csv", tmp_path / "xero.csv",
                                    options=ExportOptions(xero_tax_rate="No GST"))
    xero_journals = [j for f in xero.result.files for j in strict.read_xero(f.path)]
    assert strict.totals(xero_journals) == _xero_totals(db, sample)
    assert [j.key for j in xero_journals] == ["Accrual 1", "Accrual 2", "Accrual 3"]
    left_out = {p.entry for p in xero.result.left_out}
    assert len(left_out) == count - 3  # every sample entry touches a bank, A/R or A/P account
    assert "left out" in xero.records[0].message
    for outcome in (iif, qbo, xlsx):
        assert outcome.result.entry_count == count
        assert [r.record_count for r in outcome.records] == [count]
    history = export_history(db, sample)
    assert {(r.provider, r.format, r.status) for r in history} >= {
        ("qbd", "iif", "succeeded"), ("qbo", "qbo-csv", "succeeded"),
        ("excel", "xlsx", "succeeded"), ("xero", "xero-csv", "succeeded")}
    for record in history:
        assert record.checksum == hashlib.sha256(Path(record.file_name).read_bytes()).hexdigest()
        assert record.filters["statuses"] == ["posted"]
    assert history[-1].filters == {"statuses": ["posted"], "date_from": None, "date_to": None,
                                   "include_accounts": False}
    assert sum(r.record_count for r in history if r.provider == "xero") == 3


def test_bank_statements_carry_every_bank_line_signed_as_xero_reads_them(
        db: Database, sample: int, tmp_path: Path) -> None:
    accounts = account_services.accounts_by_id(db, sample)
    expected: dict[str, Decimal] = {}
    lines = 0
    for entry in entry_services.iter_entries(db, sample, exporting.export_filter()):
        for line in entry.lines:
            if xero_csv.is_bank(accounts[line.account_id]):
                name = xero_bank_csv.file_stem(accounts[line.account_id])
                expected[name] = expected.get(name, Decimal("0.00")) + line.signed_amount
                lines += 1
    outcome = exporting.export_bank_statements(db, sample, tmp_path / "bank.csv", actor="t")
    assert outcome.line_count == lines
    seen: dict[str, Decimal] = {}
    for written in outcome.files:
        rows = written.path.read_text(encoding="utf-8").splitlines()
        assert rows[0] == "*Date,*Amount,Payee,Description,Reference"
        name = written.path.stem.removeprefix("bank-")
        for row in rows[1:]:
            date, amount = row.split(",")[:2]
            assert len(date) == 10
            assert date[2] == date[5] == "/"  # dd/mm/yyyy
            seen[name] = seen.get(name, Decimal("0.00")) + Decimal(amount)
        assert written.sha256 == hashlib.sha256(written.path.read_bytes()).hexdigest()
    assert seen == expected
    assert "Checking" in seen
    assert "Business-Visa" in seen  # a credit card is a bank account in Xero
    history = export_history(db, sample)
    assert {(r.provider, r.format, r.status) for r in history} == {
        ("xero", "xero-bank-csv", "succeeded")}
    assert len(history) == len(outcome.files)


def test_export_filters_status_and_dates(db: Database, sample: int, tmp_path: Path) -> None:
    every = entry_services.iter_entries(db, sample)
    dates = sorted(e.date for e in every if e.date)
    start, end = dates[len(dates) // 4], dates[len(dates) // 2]
    flt = exporting.export_filter([EntryStatus.APPROVED, EntryStatus.POSTED], start, end)
    outcome = exporting.export_entries(db, sample, "qbo-csv", tmp_path / "range.csv", flt=flt)
    journals = strict.read_qbo(tmp_path / "range.csv")
    assert journals
    assert all(start <= j.date <= end for j in journals)
    assert strict.totals(journals) == _ledger_totals(
        db, sample, (EntryStatus.APPROVED, EntryStatus.POSTED), date_from=start, date_to=end)
    approved_only = exporting.export_filter([EntryStatus.APPROVED])
    result = exporting.export_entries(db, sample, "iif", tmp_path / "a.iif", flt=approved_only)
    assert result.result.entry_count == entry_services.count_entries(db, sample, approved_only)
    assert outcome.records[0].filters["date_from"] == start.isoformat()


def test_export_filter_refuses_drafts_and_empty_ranges() -> None:
    with pytest.raises(ValidationError, match="Only posted or approved"):
        exporting.export_filter([EntryStatus.DRAFT])
    with pytest.raises(ValidationError, match="date range is empty"):
        exporting.export_filter(None, dt.date(2026, 2, 1), dt.date(2026, 1, 1))
    assert exporting.export_filter().statuses == frozenset({EntryStatus.POSTED})


def test_refused_export_writes_nothing_and_logs_failed(db: Database, sample: int,
                                                       tmp_path: Path) -> None:
    for account in account_services.list_accounts(db, sample):
        if account.code:
            account_services.update_account(db, sample, account.with_changes(code=None))
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ExportError) as caught:
        exporting.export_entries(db, sample, "xero-csv", folder / "xero.csv")
    assert "has no Xero account code" in caught.value.problems[0]
    assert list(folder.iterdir()) == []
    record = export_history(db, sample)[0]
    assert (record.status, record.checksum, record.record_count) == ("failed", None, 0)
    assert "no Xero account code" in record.message


def test_unwritable_folder_is_logged_as_failed(db: Database, sample: int,
                                               tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="could not be written"):
        exporting.export_entries(db, sample, "qbo-csv", tmp_path / "no" / "such.csv")
    record = export_history(db, sample)[0]
    assert (record.status, record.provider) == ("failed", "qbo")
    assert "could not be written" in record.message


def test_cancelled_export_leaves_no_file(db: Database, sample: int, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    progress = Progress()
    progress.cancel()
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(exporting, "PAGE_SIZE", 10)  # check for cancel every ten entries
    with pytest.raises(Cancelled):
        exporting.export_entries(db, sample, "iif", folder / "c.iif", progress=progress)
    assert list(folder.iterdir()) == []
    assert export_history(db, sample)[0].status == "cancelled"


def test_confirmed_xero_mappings_give_account_codes(db: Database, sample: int,
                                                    tmp_path: Path) -> None:
    accounts = account_services.list_accounts(db, sample)
    with db.session() as session:
        for account in accounts:
            session.add(AccountMappingRow(company_id=sample, provider="xero",
                                          account_id=account.id, remote_code=f"X{account.id}",
                                          state="confirmed", proposal_reason="user"))
    assert exporting.xero_codes(db, sample) == {a.id: f"X{a.id}" for a in accounts}
    outcome = exporting.export_entries(db, sample, "xero-csv", tmp_path / "x.csv")
    codes = {line.account for f in outcome.result.files for j in strict.read_xero(f.path)
             for line in j.lines}
    assert codes
    assert all(code.startswith("X") for code in codes)


def test_preview_rows_show_the_head_and_the_problems(db: Database, sample: int) -> None:
    sample_view = exporting.preview_rows(db, sample, "qbo-csv", exporting.export_filter(),
                                         limit=5)
    assert sample_view.headers[:3] == ("Journal No.", "Journal Date", "Account Name")
    assert 1 <= len(sample_view.rows) <= 5
    assert sample_view.problems == ()
    assert sample_view.entry_count == entry_services.count_entries(
        db, sample, exporting.export_filter())
    xero_view = exporting.preview_rows(db, sample, "xero-csv", exporting.export_filter(),
                                       options=ExportOptions(xero_max_lines=4))
    # only the three accruals are written: 6 lines, more than 4
    assert any(note.startswith("6 lines: Xero takes 4 per file") for note in xero_view.notes)
    assert xero_view.entry_count == 3
    assert any("left out" in note for note in xero_view.notes)
    assert xero_view.bank_lines
    assert any("is a bank account" in str(p) for p in xero_view.left_out)
    assert {row[0] for row in xero_view.rows} <= {"Accrual 1", "Accrual 2", "Accrual 3"}
