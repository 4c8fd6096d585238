"""Strict readers of the files we write, written apart from the writers (they share no code with
`bookkeeper_desktop.formats`) and strict about every rule of FORMATS.md section D. Each returns the
journals it read and raises `StrictError` naming the first rule a file breaks.

Used by the writer tests: every file we write is read back here and its totals per account must
equal the ledger's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

IIF_TYPES = {"BANK", "AR", "OCASSET", "FIXASSET", "OASSET", "AP", "CCARD", "OCLIAB", "LTLIAB",
             "EQUITY", "INC", "COGS", "EXP", "EXINC", "EXEXP", "NONPOSTING"}
AMOUNT_SIGNED = re.compile(r"-?\d+\.\d{2}")
AMOUNT_POSITIVE = re.compile(r"\d+\.\d{2}")
DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class StrictError(AssertionError):
    pass


@dataclass
class StrictLine:
    account: str  # full name (IIF, QBO, XLSX) or account code (Xero)
    amount: Decimal  # debit positive
    description: str = ""
    name: str = ""


@dataclass
class StrictJournal:
    key: str
    date: dt.date
    lines: list[StrictLine] = field(default_factory=list)


def totals(journals: list[StrictJournal]) -> dict[str, Decimal]:
    result: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for journal in journals:
        for line in journal.lines:
            result[line.account] += line.amount
    return {k: v for k, v in result.items() if v}


def _fail(line: int, message: str) -> None:
    raise StrictError(f"line {line}: {message}")


def _check_text_cell(value: str, line: int) -> None:
    if value.startswith(FORMULA_STARTS):
        _fail(line, f"text cell {value!r} would run as a formula")


# --- IIF -----------------------------------------------------------------------------------------

TRNS_COLUMNS = ["!TRNS", "TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT",
                "DOCNUM", "MEMO"]
SPL_COLUMNS = ["!SPL", "SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM",
               "MEMO"]


def _iif_unquote(value: str, line: int) -> str:
    if '"' not in value:
        return value
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        inner = value[1:-1]
        if '"' in inner:
            _fail(line, f"field {value!r} has a quote inside")
        if "," not in inner:
            _fail(line, f"field {value!r} is quoted without holding a comma")
        return inner
    _fail(line, f"field {value!r} has a stray quote")
    return value


def read_iif(path: Path) -> tuple[list[StrictJournal], list[tuple[str, str, str]]]:
    """(journals, accounts block rows (name, type, number))."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        raise StrictError("an IIF file must not start with a BOM")
    text = data.decode("cp1252")  # strict: undefined bytes fail
    if not text.endswith("\r\n"):
        raise StrictError("the last line must end with CRLF")
    body = text[:-2].split("\r\n")
    if any("\r" in row or "\n" in row for row in body):
        raise StrictError("a line break other than CRLF")
    rows = [(number, row.split("\t")) for number, row in enumerate(body, start=1)]
    accounts: list[tuple[str, str, str]] = []
    defined: set[str] = set()
    index = 0
    if rows and rows[0][1][0] == "!ACCNT":
        header = rows[0][1]
        if header[:3] != ["!ACCNT", "NAME", "ACCNTTYPE"]:
            _fail(1, f"unexpected !ACCNT header {header}")
        index = 1
        while index < len(rows) and rows[index][1][0] == "ACCNT":
            number, fields = rows[index]
            if len(fields) != len(header):
                _fail(number, "ACCNT row length differs from its header")
            name = _iif_unquote(fields[1], number)
            kind = fields[2]
            if kind not in IIF_TYPES:
                _fail(number, f"unknown ACCNTTYPE {kind}")
            if ":" in name and name.rsplit(":", 1)[0] not in defined:
                _fail(number, f"subaccount {name!r} comes before its parent")
            defined.add(name)
            number_field = fields[header.index("ACCNUM")] if "ACCNUM" in header else ""
            accounts.append((name, kind, number_field))
            index += 1
    expected = [TRNS_COLUMNS, SPL_COLUMNS, ["!ENDTRNS"]]
    for offset, columns in enumerate(expected):
        if index + offset >= len(rows) or rows[index + offset][1] != columns:
            _fail(index + offset + 1, f"expected header {columns}")
    index += 3
    journals: list[StrictJournal] = []
    current: StrictJournal | None = None
    date_text = ""
    for number, fields in rows[index:]:
        keyword = fields[0]
        if keyword == "ENDTRNS":
            if fields != ["ENDTRNS"]:
                _fail(number, "ENDTRNS with extra fields")
            if current is None:
                _fail(number, "ENDTRNS without a TRNS")
                continue
            if len(current.lines) < 2:
                _fail(number, "a transaction needs a TRNS and at least one SPL")
            if sum((ln.amount for ln in current.lines), Decimal(0)) != 0:
                _fail(number, "transaction does not sum to 0.00")
            journals.append(current)
            current = None
            continue
        if keyword not in ("TRNS", "SPL"):
            _fail(number, f"unexpected row {keyword!r}")
        if len(fields) != len(TRNS_COLUMNS):
            _fail(number, f"{keyword} row has {len(fields)} fields, header has "
                          f"{len(TRNS_COLUMNS)}")
        if keyword == "TRNS":
            if current is not None:
                _fail(number, "TRNS before the previous transaction's ENDTRNS")
        elif current is None:
            _fail(number, "SPL outside a transaction")
        _, ident, trnstype, date_field, account, name, klass, amount, docnum, memo = fields
        if ident:
            _fail(number, "TRNSID/SPLID must be blank on import")
        if trnstype != "GENERAL JOURNAL":
            _fail(number, f"TRNSTYPE {trnstype!r}")
        match = DATE.fullmatch(date_field)
        if not match:
            _fail(number, f"date {date_field!r} is not MM/DD/YYYY")
            continue
        if not AMOUNT_SIGNED.fullmatch(amount):
            _fail(number, f"amount {amount!r}")
        account = _iif_unquote(account, number)
        for value in (name, klass, docnum, memo):
            _iif_unquote(value, number)
        if accounts and account not in defined:
            _fail(number, f"account {account!r} is not in the !ACCNT block")
        if keyword == "TRNS":
            month, day, year = (int(g) for g in match.groups())
            current = StrictJournal(_iif_unquote(docnum, number), dt.date(year, month, day))
            date_text = date_field
        elif date_field != date_text:
            _fail(number, "SPL date differs from its TRNS")
        assert current is not None
        current.lines.append(StrictLine(account, Decimal(amount),
                                        _iif_unquote(memo, number), _iif_unquote(name, number)))
    if current is not None:
        raise StrictError("the last transaction is not closed by ENDTRNS")
    return journals, accounts


# --- QBO journal CSV -----------------------------------------------------------------------------

QBO_HEADER = ["Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description",
              "Name"]


def _csv_records(text: str, path: Path) -> list[list[str]]:
    if "\n" in text.replace("\r\n", "") and not text.count("\r\n"):
        raise StrictError(f"{path.name}: rows must end with CRLF")
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def read_qbo(path: Path, date_format: str = "MM/DD/YYYY") -> list[StrictJournal]:
    data = path.read_bytes()
    if not data.startswith(b"\xef\xbb\xbf"):
        raise StrictError("a QBO CSV is written with a UTF-8 BOM")
    records = _csv_records(data[3:].decode("utf-8"), path)
    if not records or records[0] != QBO_HEADER:
        raise StrictError(f"header {records[:1]}")
    journals: list[StrictJournal] = []
    finished: set[str] = set()
    current: StrictJournal | None = None
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(QBO_HEADER):
            _fail(number, f"{len(record)} fields")
        journal_no, date_field, account, debit, credit, description, name = record
        if not journal_no:
            _fail(number, "no Journal No.")
        match = DATE.fullmatch(date_field)
        if not match:
            _fail(number, f"date {date_field!r}")
            continue
        first, second, year = (int(g) for g in match.groups())
        month, day = (first, second) if date_format == "MM/DD/YYYY" else (second, first)
        date = dt.date(year, month, day)
        if bool(debit) == bool(credit):
            _fail(number, "exactly one of Debits and Credits must be filled")
        amount_text = debit or credit
        if not AMOUNT_POSITIVE.fullmatch(amount_text) or Decimal(amount_text) <= 0:
            _fail(number, f"amount {amount_text!r} must be positive with two decimals")
        for value in (journal_no, account, description, name):
            _check_text_cell(value, number)
        if not account:
            _fail(number, "no Account Name")
        if current is None or current.key != journal_no:
            if current is not None:
                finished.add(current.key)
                journals.append(current)
            if journal_no in finished:
                _fail(number, f"journal {journal_no} is not grouped")
            current = StrictJournal(journal_no, date)
        elif current.date != date:
            _fail(number, "date differs inside a journal")
        amount = Decimal(debit) if debit else -Decimal(credit)
        current.lines.append(StrictLine(account, amount, description, name))
    if current is not None:
        journals.append(current)
    for journal in journals:
        if sum((ln.amount for ln in journal.lines), Decimal(0)) != 0:
            raise StrictError(f"journal {journal.key} does not balance")
    return journals


# --- Xero manual journal CSV ---------------------------------------------------------------------

XERO_HEADER = ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
               "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2"]


def read_xero(path: Path, max_lines: int = 300) -> list[StrictJournal]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        raise StrictError("unexpected BOM")
    records = _csv_records(data.decode("utf-8"), path)
    if not records or records[0] != XERO_HEADER:
        raise StrictError(f"header {records[:1]}")
    if len(records) - 1 > max_lines:
        raise StrictError(f"{len(records) - 1} lines; Xero takes {max_lines}")
    groups: dict[tuple[str, str], StrictJournal] = {}
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(XERO_HEADER):
            _fail(number, f"{len(record)} fields")
        narration, date_field, description, code, tax, amount = record[:6]
        if not narration or not code or not tax:
            _fail(number, "a mandatory field is empty")
        match = DATE.fullmatch(date_field)
        if not match:
            _fail(number, f"date {date_field!r} is not dd/mm/yyyy")
            continue
        day, month, year = (int(g) for g in match.groups())
        date = dt.date(year, month, day)
        if not AMOUNT_SIGNED.fullmatch(amount) or Decimal(amount) == 0:
            _fail(number, f"amount {amount!r}")
        for value in (narration, description, code, tax, *record[6:]):
            _check_text_cell(value, number)
        tracking = record[6:]
        for name, option in ((tracking[0], tracking[1]), (tracking[2], tracking[3])):
            if bool(name) != bool(option):
                _fail(number, "a tracking name without its option (or the reverse)")
        journal = groups.setdefault((narration, date_field), StrictJournal(narration, date))
        journal.lines.append(StrictLine(code, Decimal(amount), description))
    for journal in groups.values():
        if sum((ln.amount for ln in journal.lines), Decimal(0)) != 0:
            raise StrictError(f"journal {journal.key!r} does not balance")
    return list(groups.values())


# --- XLSX ----------------------------------------------------------------------------------------

XLSX_HEADER = ["Entry No.", "Date", "Memo", "Status", "Line", "Account Code", "Account",
               "Description", "Name", "Tracking", "Tax Code", "Debit", "Credit"]


def _number(value: object, line: int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(line, f"{value!r} is not a number cell")
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def read_xlsx(path: Path) -> tuple[list[StrictJournal], dict[str, Decimal]]:
    """(journals keyed by entry number, Summary net per account)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    if workbook.sheetnames != ["Journal", "Summary"]:
        raise StrictError(f"sheets {workbook.sheetnames}")
    sheet = workbook["Journal"]
    if sheet.freeze_panes != "A2":
        raise StrictError("the Journal header is not frozen")
    rows = list(sheet.iter_rows())
    if [c.value for c in rows[0]] != XLSX_HEADER:
        raise StrictError(f"header {[c.value for c in rows[0]]}")
    if sheet.auto_filter.ref != f"A1:M{len(rows)}":
        raise StrictError(f"autofilter {sheet.auto_filter.ref} does not cover {len(rows)} rows")
    journals: dict[str, StrictJournal] = {}
    order: list[str] = []
    for cells in rows[1:]:
        line = cells[0].row
        values = [c.value for c in cells]
        date_cell, debit_cell, credit_cell = cells[1], cells[11], cells[12]
        if not isinstance(date_cell.value, dt.datetime):
            _fail(line, f"date {date_cell.value!r} is not a date cell")
        for text in (values[0], values[2], values[5], values[6], values[7], values[8], values[9],
                     values[10]):
            if text is not None and not isinstance(text, str):
                _fail(line, f"{text!r} should be text")
            _check_text_cell(text or "", line)
        filled = [c for c in (debit_cell, credit_cell) if c.value is not None]
        if len(filled) != 1:
            _fail(line, "exactly one of Debit and Credit must be filled")
        if filled[0].number_format != "#,##0.00":
            _fail(line, f"amount format {filled[0].number_format!r}")
        amount = _number(filled[0].value, line)
        if amount <= 0:
            _fail(line, "amounts are positive")
        signed = amount if filled[0] is debit_cell else -amount
        key = str(values[0])
        assert isinstance(date_cell.value, dt.datetime)
        if key not in journals:
            journals[key] = StrictJournal(key, date_cell.value.date())
            order.append(key)
        journals[key].lines.append(StrictLine(str(values[6]), signed, str(values[7] or "")))
    summary_sheet = workbook["Summary"]
    summary: dict[str, Decimal] = {}
    summary_rows = list(summary_sheet.iter_rows(min_row=2))
    for cells in summary_rows[:-1]:
        line = cells[0].row
        debit, credit, net = (_number(c.value, line) for c in cells[3:6])
        if debit - credit != net:
            _fail(line, "summary net is not debit minus credit")
        if any(c.number_format != "#,##0.00" for c in cells[3:6]):
            _fail(line, "summary amounts need the 2-decimal format")
        if net:
            summary[str(cells[1].value)] = net
    total = summary_rows[-1]
    if total[1].value != "Total" or _number(total[5].value, total[0].row) != 0:
        raise StrictError("the Summary total row must net to zero")
    for journal in journals.values():
        if sum((ln.amount for ln in journal.lines), Decimal(0)) != 0:
            raise StrictError(f"journal {journal.key} does not balance")
    return [journals[k] for k in order], summary
