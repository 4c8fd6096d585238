"""Excel workbooks: read a chart of accounts laid out as any of the CSV/IIF layouts, and write
journal entries as a Journal sheet plus a Summary sheet of totals per account.

Reading uses openpyxl's read-only mode (rows stream from the file; line numbers are sheet row
numbers). Cells come back as text the layout readers already understand: whole numbers without a
decimal point (an account number 1200 stays "1200"), other numbers exactly as Excel shows them
to the cent, dates as ISO text.

Writing uses openpyxl's write-only mode, so memory stays flat however many entries stream through:
real dates and numbers, `#,##0.00` number format on amounts, a frozen header row and an
autofilter on the Journal sheet, and a Summary sheet (totals per account, written after the journal
since a write-only workbook writes sheets in order). Text that a spreadsheet would run as a formula
is neutralised (`common.neutralise_formula`); amounts stay numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.core.money import ZERO
from bookkeeper_desktop.formats.common import (
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
    HashingWriter,
    Row,
    neutralise_formula,
)
from bookkeeper_desktop.formats.validation import base_problems, export_error

FORMAT = ExportFormat.XLSX
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
XLSX_MAGIC = b"PK\x03\x04"

# --- reading -----------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@contextlib.contextmanager
def _open(path: Path) -> Iterator[Any]:
    """A read-only workbook from content: openpyxl refuses a path whose extension is not .xlsx,
    but a dropped file is recognised by what it holds, so it gets an open file instead."""
    with path.open("rb") as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            yield workbook
        finally:
            workbook.close()


def sheet_names(path: Path) -> list[str]:
    with _open(path) as workbook:
        return list(workbook.sheetnames)


def sheet_rows(path: Path, sheet: str | None = None, limit: int | None = None) -> Iterator[Row]:
    """Rows of a sheet (the first when `sheet` is None) as text, with their sheet row numbers;
    trailing empty cells dropped."""
    with _open(path) as workbook:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        # WORKAROUND: files from some tools declare a wrong sheet dimension ("A1"), which makes
        # read-only mode stop after the first row; recompute it from the data.
        worksheet.reset_dimensions()
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if limit is not None and number > limit:
                break
            fields = [cell_text(v) for v in values]
            while fields and not fields[-1].strip():
                fields.pop()
            yield number, fields


# --- writing -----------------------------------------------------------------------------------

JOURNAL_HEADER = ("Entry No.", "Date", "Memo", "Status", "Line", "Account Code", "Account",
                  "Description", "Name", "Tracking", "Tax Code", "Debit", "Credit")
SUMMARY_HEADER = ("Account Code", "Account", "Type", "Debit", "Credit", "Net (debit - credit)")
_WIDTHS = (14, 12, 36, 10, 6, 14, 40, 40, 24, 20, 16, 16, 16)


def _text(value: str) -> str:
    """A text cell: characters Excel's XML cannot hold removed, formulas neutralised."""
    if not value.isprintable():
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise_formula(value)


def entry_problems(entry: JournalEntry, accounts: Mapping[int, Account],
                   options: ExportOptions) -> list[ExportProblem]:
    return base_problems(entry, accounts)


class _Cells:
    """Builds styled write-only cells cheaply: one styled template per kind, whose style array
    is shared by every cell of that kind (setting `number_format` per cell looks the format up
    in the workbook each time and doubles the export time)."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        make: Any = WriteOnlyCell
        amount = make(sheet, 0)
        amount.number_format = AMOUNT_FORMAT
        date = make(sheet, dt.date(2000, 1, 1))
        date.number_format = DATE_FORMAT
        self.make = make
        self.amount_style = amount._style
        self.date_style = date._style

    def amount(self, value: Decimal | None) -> Any:
        if value is None:
            return None
        cell = self.make(self.sheet, value)
        cell._style = self.amount_style
        return cell

    def date(self, value: dt.date) -> Any:
        cell = self.make(self.sheet, value)
        cell._style = self.date_style
        return cell


def _header(sheet: Any, names: Iterable[str]) -> list[Any]:
    cells = []
    make: Any = WriteOnlyCell
    for name in names:
        cell = make(sheet, name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _discard(sheet: Any) -> None:
    """Close an abandoned write-only sheet and delete the temporary file openpyxl streams its
    rows into (otherwise it lingers until exit, with an unclosed generator)."""
    sheet.close()
    sheet._writer.cleanup()


def _save(workbook: Any, path: Path) -> None:
    """`workbook.save(path)` (openpyxl's `save_workbook`), but a save that fails half-way (a full
    disk) closes what it opened at once: openpyxl leaves its zip archive and the write-only
    sheets' row generators open, and the garbage collector later printed their failing closes as
    two "Exception ignored … No space left on device" tracebacks under our one-line error
    (issue #13 §5)."""
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        workbook.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ExcelWriter(workbook, archive).save()
    except BaseException:
        for sheet in workbook.worksheets:
            rows = getattr(sheet, "_rows", None)
            writer = getattr(sheet, "_writer", None)
            # Each close writes its closing tags into a file that cannot take them: the error
            # is the one already on its way up.
            for close in (getattr(rows, "close", None), getattr(writer, "close", None),
                          getattr(writer, "cleanup", None)):
                if close is not None:
                    with contextlib.suppress(Exception):
                        close()
        with contextlib.suppress(Exception):
            archive.close()
        raise


def write_journal(entries: Iterable[JournalEntry], accounts: Mapping[int, Account], path: Path,
                  options: ExportOptions | None = None) -> ExportResult:
    """Stream `entries` into an Excel workbook. Raises `ExportError` and leaves no file when an
    entry cannot be exported."""
    options = options or ExportOptions()
    problems: list[ExportProblem] = []
    # Fail on an unwritable folder before any sheet exists (a half-built write-only workbook
    # leaves a generator and a temporary file behind).
    target = HashingWriter(path, external=True)
    target.partial.touch()
    workbook = Workbook(write_only=True)
    journal = workbook.create_sheet("Journal")
    journal.freeze_panes = "A2"
    for index, width in enumerate(_WIDTHS, start=1):
        journal.column_dimensions[get_column_letter(index)].width = width
    journal.append(_header(journal, JOURNAL_HEADER))
    cells = _Cells(journal)
    totals: dict[int, list[Decimal]] = {}
    entry_count = line_count = 0
    try:
        for entry in entries:
            found = entry_problems(entry, accounts, options)
            if found or problems:
                problems.extend(found)
                continue
            assert entry.date is not None
            number = _text(entry.number or str(entry.id or ""))
            memo = _text(entry.memo)
            date = cells.date(entry.date)
            for position, line in enumerate(entry.lines, start=1):
                account = accounts[line.account_id]
                journal.append((
                    number, date, memo, entry.status.value, position,
                    _text(account.code or ""), _text(account.full_name),
                    _text(line.description), _text(line.contact),
                    _text(line.tracking), _text(line.tax_code or account.tax_code or ""),
                    cells.amount(line.debit or None), cells.amount(line.credit or None),
                ))
                total = totals.setdefault(line.account_id, [ZERO, ZERO])
                total[0] += line.debit
                total[1] += line.credit
            entry_count += 1
            line_count += len(entry.lines)
        if problems:
            raise export_error(FORMAT, problems)
    except BaseException:  # a refusal, a cancel or a storage error mid-stream: leave nothing
        _discard(journal)
        target.abort()
        raise
    journal.auto_filter.ref = f"A1:{get_column_letter(len(JOURNAL_HEADER))}{line_count + 1}"
    summary = workbook.create_sheet("Summary")
    summary.freeze_panes = "A2"
    for index, width in enumerate((14, 40, 24, 16, 16, 18), start=1):
        summary.column_dimensions[get_column_letter(index)].width = width
    summary.append(_header(summary, SUMMARY_HEADER))
    money_cells = _Cells(summary)
    ordered = sorted(totals.items(), key=lambda item: (accounts[item[0]].code or "",
                                                       accounts[item[0]].full_name))
    all_debit = all_credit = ZERO
    for account_id, (debit, credit) in ordered:
        account = accounts[account_id]
        summary.append((
            _text(account.code or ""), _text(account.full_name),
            account.type.label, money_cells.amount(debit), money_cells.amount(credit),
            money_cells.amount(debit - credit),
        ))
        all_debit += debit
        all_credit += credit
    summary.append(("", "Total", "", money_cells.amount(all_debit), money_cells.amount(all_credit),
                    money_cells.amount(all_debit - all_credit)))
    with target:
        _save(workbook, target.partial)
        target.rows = line_count + 1
        target.entries = entry_count
        written = target.commit_file()
    return ExportResult(FORMAT, (written,), entry_count, line_count, written.rows)
