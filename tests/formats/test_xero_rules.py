"""Exports follow the services' rules (issue #11 item 5): the Xero manual-journal file writes each
line's own tax code, leaves out (naming each, with why) the entries Xero's manual journals refuse
(bank and credit-card accounts, Accounts Receivable/Payable and the other locked system
accounts), and their bank lines go out as Xero bank-statement CSV; IIF and QBO CSV refuse an A/R
or A/P line without a name, naming the entry and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import ExportError
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.formats import (
    ExportFormat,
    ExportOptions,
    check_export,
    write_export,
    xero_bank_csv,
)

from . import strict

DAY = dt.date(2026, 7, 14)


def _accounts() -> dict[int, Account]:
    accounts = [
        Account("Checking", AccountType.BANK, code="090", id=1),
        Account("Visa", AccountType.CREDIT_CARD, code="800", id=2),
        Account("Accounts Receivable", AccountType.ACCOUNTS_RECEIVABLE, code="610", id=3),
        Account("Accounts Payable", AccountType.ACCOUNTS_PAYABLE, code="810", id=4),
        Account("Sales", AccountType.INCOME, code="200", tax_code="GST on Income", id=5),
        Account("Office", AccountType.EXPENSE, code="429", tax_code="GST on Expenses", id=6),
        Account("Accruals", AccountType.OTHER_CURRENT_LIABILITY, code="820", id=7),
        Account("Unpaid Expense Claims", AccountType.OTHER_CURRENT_LIABILITY, code="801",
                id=8, extra={"xero_system_account": "UNPAIDEXPCLM"}),
    ]
    return {a.id: a for a in accounts if a.id is not None}


def _entry(number: str, *lines: JournalLine, memo: str = "") -> JournalEntry:
    return JournalEntry(DAY, lines, number, memo=memo or f"Entry {number}", id=int(number[1:]))


def test_each_xero_line_carries_its_own_tax_code_then_the_account_default_then_the_setting(
        tmp_path: Path) -> None:
    entry = _entry("J1",
                   JournalLine.of(6, "110.00", tax_code="GST on Capital"),  # its own
                   JournalLine.of(6, "10.00"),  # Office's default
                   JournalLine.of(7, "-120.00"))  # no default: the setting
    out = tmp_path / "mj.csv"
    write_export([entry], _accounts(), "xero-csv", out, ExportOptions(xero_tax_rate="No GST"))
    rows = [line.split(",") for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert [(r[3], r[4], r[5]) for r in rows] == [
        ("429", "GST on Capital", "110.00"), ("429", "GST on Expenses", "10.00"),
        ("820", "No GST", "-120.00")]
    assert strict.read_xero(out)[0].key == "Entry J1"


def test_a_formula_like_tax_code_is_neutralised(tmp_path: Path) -> None:
    entry = _entry("J1", JournalLine.of(6, "1.00", tax_code="=cmd"), JournalLine.of(7, "-1.00"))
    out = tmp_path / "mj.csv"
    write_export([entry], _accounts(), "xero-csv", out)
    assert ",'=cmd," in out.read_text(encoding="utf-8")


def test_without_any_tax_code_the_entry_is_refused() -> None:
    entry = _entry("J1", JournalLine.of(7, "1.00"), JournalLine.of(7, "-1.00"))
    problems = check_export([entry], _accounts(), "xero-csv", ExportOptions(xero_tax_rate=""))
    assert [str(p) for p in problems] == [
        "entry J1 of 2026-07-14: a line has no tax code, its account no default tax code, and "
        "no Xero tax rate name is set (Settings → Export)"]
    # an account default is enough
    fine = _entry("J2", JournalLine.of(6, "1.00"), JournalLine.of(6, "-1.00"))
    assert check_export([fine], _accounts(), "xero-csv", ExportOptions(xero_tax_rate="")) == []


def test_entries_xero_journals_refuse_are_left_out_each_named_with_why(tmp_path: Path) -> None:
    entries = [
        _entry("J1", JournalLine.of(6, "50.00"), JournalLine.of(1, "-50.00")),  # bank spend
        _entry("J2", JournalLine.of(6, "20.00"), JournalLine.of(2, "-20.00")),  # card spend
        _entry("J3", JournalLine.of(3, "99.00", contact="Acme"), JournalLine.of(5, "-99.00")),
        _entry("J4", JournalLine.of(6, "30.00"), JournalLine.of(4, "-30.00", contact="Bob")),
        _entry("J5", JournalLine.of(6, "5.00"), JournalLine.of(8, "-5.00")),
        _entry("J6", JournalLine.of(6, "7.00"), JournalLine.of(7, "-7.00")),  # a journal
    ]
    out = tmp_path / "mj.csv"
    result = write_export(entries, _accounts(), "xero-csv", out)
    assert [j.key for j in strict.read_xero(out)] == ["Entry J6"]
    assert result.entry_count == 1
    reasons = {(p.entry.split(" of ")[0], p.line): p.message for p in result.left_out}
    assert set(reasons) == {("entry J1", 2), ("entry J2", 2), ("entry J3", 1), ("entry J4", 2),
                            ("entry J5", 2)}
    assert reasons[("entry J1", 2)].startswith(
        "'Checking' is a bank account, and Xero's manual journals cannot post to bank accounts")
    assert "a credit card is a bank account in Xero" in reasons[("entry J2", 2)]
    assert "bank statement" in reasons[("entry J2", 2)]
    assert "'Accounts Receivable' is Accounts Receivable, a system account" in reasons[
        ("entry J3", 1)]
    assert "as an invoice or a payment" in reasons[("entry J3", 1)]
    assert "as a bill or a payment" in reasons[("entry J4", 2)]
    assert "locked Xero system account" in reasons[("entry J5", 2)]
    # a left-out entry is not a problem that stops the file
    assert check_export(entries, _accounts(), "xero-csv") == []


def test_a_real_problem_still_stops_the_whole_xero_file(tmp_path: Path) -> None:
    entries = [_entry("J1", JournalLine.of(6, "50.00"), JournalLine.of(1, "-50.00")),
               _entry("J2", JournalLine.of(6, "5.00"), JournalLine.of(7, "-4.00"))]
    with pytest.raises(ExportError) as caught:
        write_export(entries, _accounts(), "xero-csv", tmp_path / "mj.csv")
    assert list(caught.value.problems) == [
        "entry J2 of 2026-07-14: it does not balance (debits 5.00, credits 4.00, difference "
        "1.00)"]
    assert list(tmp_path.iterdir()) == []


def test_bank_statement_files_one_per_bank_account(tmp_path: Path) -> None:
    entries = [
        _entry("J1", JournalLine.of(6, "50.00", description="=HYPERLINK(x)"),
               JournalLine.of(1, "-50.00", contact="Office Depot"), memo="Paper"),
        _entry("J2", JournalLine.of(1, "99.00"), JournalLine.of(3, "-99.00", contact="Acme"),
               memo="Acme pays invoice 7"),
        _entry("J3", JournalLine.of(6, "20.00"), JournalLine.of(2, "-20.00",
                                                                 description="Fuel")),
        _entry("J4", JournalLine.of(2, "20.00"), JournalLine.of(1, "-20.00"),
               memo="Pay the card"),
        _entry("J6", JournalLine.of(6, "7.00"), JournalLine.of(7, "-7.00")),
    ]
    files = xero_bank_csv.write_statements(entries, _accounts(), tmp_path / "statement.csv")
    texts = {f.path.name: f.path.read_bytes().decode("utf-8") for f in files}
    assert texts == {
        "statement-Checking.csv": "*Date,*Amount,Payee,Description,Reference\r\n"
                                  "14/07/2026,-50.00,Office Depot,Paper,J1\r\n"
                                  "14/07/2026,99.00,Acme,Acme pays invoice 7,J2\r\n"
                                  "14/07/2026,-20.00,,Pay the card,J4\r\n",
        "statement-Visa.csv": "*Date,*Amount,Payee,Description,Reference\r\n"
                              "14/07/2026,-20.00,,Fuel,J3\r\n"
                              "14/07/2026,20.00,,Pay the card,J4\r\n",
    }
    assert [f.entries for f in files] == [3, 2]


def test_bank_statement_text_cells_are_neutralised_and_long_statements_split(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xero_bank_csv, "MAX_LINES", 2)
    entries = [_entry(f"J{n}", JournalLine.of(6, "1.00"),
                      JournalLine.of(1, "-1.00", contact="@evil", description="+1"))
               for n in range(1, 4)]
    files = xero_bank_csv.write_statements(entries, _accounts(), tmp_path / "s.csv")
    assert [f.path.name for f in files] == ["s-Checking.csv", "s-Checking-part2.csv"]
    first = files[0].path.read_text(encoding="utf-8").splitlines()
    assert first[1] == "14/07/2026,-1.00,'@evil,'+1,J1"
    assert [f.entries for f in files] == [2, 1]


@pytest.mark.parametrize("fmt", ["iif", "qbo-csv"])
def test_quickbooks_formats_refuse_a_nameless_receivable_or_payable_line(
        tmp_path: Path, fmt: str) -> None:
    label = ExportFormat(fmt).label
    entries = [_entry("J3", JournalLine.of(3, "99.00"), JournalLine.of(5, "-99.00")),
               _entry("J4", JournalLine.of(6, "30.00"), JournalLine.of(4, "-30.00")),
               _entry("J5", JournalLine.of(3, "1.00", contact="Acme"), JournalLine.of(5, "-1.00"))]
    with pytest.raises(ExportError) as caught:
        write_export(entries, _accounts(), fmt, tmp_path / "out")
    assert list(caught.value.problems) == [
        f"entry J3 of 2026-07-14, line 1: 'Accounts Receivable' is Accounts Receivable and "
        f"{label} needs a customer name on the line",
        f"entry J4 of 2026-07-14, line 2: 'Accounts Payable' is Accounts Payable and {label} "
        "needs a vendor name on the line"]
    assert list(tmp_path.iterdir()) == []
