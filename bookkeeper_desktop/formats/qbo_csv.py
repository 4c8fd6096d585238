"""QuickBooks Online CSV: read a chart of accounts (the CoA import layout and the Account List
report export) and write the journal-entry import file.

Chart layouts (FORMATS.md B2/B3): the import layout `Account Number, Account Name, Type, Detail
Type` (headings are what matters, not their order); the Account List export, whose header
(`Full name,Type,Detail type,Description,Total balance`, `Account #` first when numbers are on, or
the older `Account,Type,Detail Type,Description,Balance`) follows a preamble of company name, title
and a blank row, and whose amounts are quoted with thousands separators or in parentheses; a footer
("Accrual basis Monday, March 4, 2024 ...") may follow. Types are matched whatever their case, as
API names or UI labels (`core.accounts.from_qbo`); `Parent:Sub` names are subaccounts.

Journal import (FORMATS.md B1): one row per line, `Journal No.` groups the rows of an entry,
Debits or Credits positive with the other blank, full `Parent:Sub` account names, the company's
date format, `utf-8-sig` so non-ASCII names survive.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bookkeeper_desktop.core.accounts import (
    Account,
    AccountSource,
    from_qbo,
    normalise_path,
    validate_path,
)
from bookkeeper_desktop.core.errors import LineProblem
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.formats.common import (
    ChartLayout,
    ChartRow,
    CsvSink,
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
    HashingWriter,
    Row,
    cell,
    header_key,
    is_blank,
    neutralise_formula,
    parse_amount,
)
from bookkeeper_desktop.formats.validation import (
    base_problems,
    export_error,
    name_required_problems,
    problem,
)

FORMAT = ExportFormat.QBO_CSV

_NUMBER = ("account#", "accountnumber", "accountno", "accountnum", "number", "no")
_NAME = ("accountname", "fullname", "account", "name")
_TYPE = ("type", "accounttype")
_DETAIL = ("detailtype", "detailaccounttype", "accountsubtype", "subtype")
_DESCRIPTION = ("description", "desc")
_BALANCE = ("totalbalance", "balance", "openingbalance")
_TAX = ("taxcode", "defaulttaxcode", "salestaxcode")


def _find(keys: Sequence[str], names: Sequence[str]) -> int | None:
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


def header_columns(fields: Sequence[str]) -> dict[str, int] | None:
    """Column positions when `fields` is a QBO chart header, else None."""
    keys = [header_key(f) for f in fields]
    name, kind = _find(keys, _NAME), _find(keys, _TYPE)
    if name is None or kind is None or "code" in keys:
        return None
    columns = {"name": name, "type": kind}
    for role, names in (("number", _NUMBER), ("detail", _DETAIL),
                        ("description", _DESCRIPTION), ("balance", _BALANCE), ("tax", _TAX)):
        index = _find(keys, names)
        if index is not None:
            columns[role] = index
    return columns


def match_header(fields: Sequence[str]) -> ChartLayout | None:
    """Which QBO chart layout a header row belongs to, if any."""
    columns = header_columns(fields)
    if columns is None:
        return None
    keys = [header_key(f) for f in fields]
    if "accountname" in keys:
        return ChartLayout.QBO_IMPORT
    if len(columns) >= 3 or "fullname" in keys:
        return ChartLayout.QBO_ACCOUNT_LIST
    return None


def is_journal_header(fields: Sequence[str]) -> bool:
    """The header of a QBO journal-entry import file (what we write), not a chart."""
    keys = {header_key(f) for f in fields}
    return bool({"journalno", "journalnumber", "journaldate"} & keys) and bool(
        {"debits", "credits", "debit", "credit"} & keys
    )


_FOOTER = re.compile(r"\b(basis|GMT|UTC)\b|\d{1,2}:\d{2}", re.IGNORECASE)


def read_chart_rows(rows: Iterable[Row], header_line: int,
                    source: AccountSource = AccountSource.QBO_CSV
                    ) -> tuple[list[ChartRow], list[LineProblem], list[LineProblem]]:
    """Accounts below the header at `header_line` → (chart rows, problems, notes)."""
    columns: dict[str, int] | None = None
    chart: list[ChartRow] = []
    problems: list[LineProblem] = []
    notes: list[LineProblem] = []
    for line, fields in rows:
        if line < header_line:
            continue
        if columns is None:
            columns = header_columns(fields)
            if columns is None:
                problems.append(LineProblem(line, "this is not a chart-of-accounts header row"))
                return chart, problems, notes
            continue
        if is_blank(fields):
            continue
        filled = [f for f in fields if f.strip()]
        if len(filled) == 1 and fields[0].strip() and _FOOTER.search(fields[0]):
            continue  # report footer: "Accrual basis Monday, March 4, 2024 10:00 AM GMT-05:00"
        row = _chart_row(line, fields, columns, source, problems)
        if row is not None:
            chart.append(row)
    return chart, problems, notes


def _chart_row(line: int, fields: Sequence[str], columns: Mapping[str, int],
               source: AccountSource, problems: list[LineProblem]) -> ChartRow | None:
    name = cell(fields, columns["name"])
    label = cell(fields, columns["type"])
    if not name:
        problems.append(LineProblem(line, "the row has no account name"))
        return None
    path_problems = validate_path(name)
    if path_problems:
        problems.append(LineProblem(line, "; ".join(path_problems)))
        return None
    account_type = from_qbo(label)
    if account_type is None:
        what = f"'{label}'" if label else "no type"
        problems.append(LineProblem(
            line, f"account '{name}' has {what if not label else 'an unknown type ' + what}; "
                  "use a QuickBooks Online type such as Bank, Expenses or Other Current Assets"))
        return None
    try:
        balance = parse_amount(cell(fields, columns.get("balance")))
    except ValueError as exc:
        problems.append(LineProblem(line, f"account '{name}': balance {exc}"))
        return None
    return ChartRow(
        line=line,
        full_name=normalise_path(name),
        type=account_type,
        original_type=label,
        source=source,
        code=cell(fields, columns.get("number")) or None,
        detail_type=cell(fields, columns.get("detail")) or None,
        description=cell(fields, columns.get("description")),
        tax_code=cell(fields, columns.get("tax")) or None,
        opening_balance=balance,
    )


# --- export ------------------------------------------------------------------------------------

HEADER = ("Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description",
          "Name")


def journal_number(entry: JournalEntry, index: int) -> str:
    """Journal No.: the entry's number, else its id, else its position in the export."""
    return entry.number or (str(entry.id) if entry.id is not None else f"E{index}")


class JournalNumbers:
    """QBO groups rows by Journal No., so two entries sharing a number would merge into one."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def problems(self, entry: JournalEntry, index: int) -> list[ExportProblem]:
        number = journal_number(entry, index)
        if number in self.seen:
            return [problem(entry, f"journal number '{number}' is used by another entry in "
                                   "this export; QuickBooks Online would merge them")]
        self.seen.add(number)
        return []


def entry_problems(entry: JournalEntry, accounts: Mapping[int, Account],
                   options: ExportOptions) -> list[ExportProblem]:
    found = base_problems(entry, accounts) + name_required_problems(entry, accounts, FORMAT)
    for number, line in enumerate(entry.lines, start=1):
        account = accounts.get(line.account_id)
        if account is not None and _breaks(account.full_name):
            found.append(problem(entry, f"the account name '{account.full_name}' holds a tab "
                                        "or line break", number))
    return found


@functools.lru_cache(maxsize=8192)
def _breaks(name: str) -> bool:
    return bool(re.search(r"[\r\n\t]", name))


def rows_of(entry: JournalEntry, index: int, accounts: Mapping[int, Account],
            options: ExportOptions) -> list[tuple[str, ...]]:
    """The CSV rows of one entry (also what the export preview shows)."""
    assert entry.date is not None
    number = neutralise_formula(journal_number(entry, index))
    date = options.qbo_date(entry.date)
    rows: list[tuple[str, ...]] = []
    for line in entry.lines:
        rows.append((
            number, date, neutralise_formula(accounts[line.account_id].full_name),
            f"{line.debit:.2f}" if line.debit else "",
            f"{line.credit:.2f}" if line.credit else "",
            neutralise_formula(line.description or entry.memo),
            neutralise_formula(line.contact),
        ))
    return rows


def write_journal(entries: Iterable[JournalEntry], accounts: Mapping[int, Account], path: Path,
                  options: ExportOptions | None = None) -> ExportResult:
    """Stream `entries` into a QBO journal import CSV. Raises `ExportError` and leaves no file
    when an entry cannot go into it."""
    options = options or ExportOptions()
    problems: list[ExportProblem] = []
    numbers = JournalNumbers()
    lines = 0
    with HashingWriter(path) as target:
        sink = CsvSink(target, "utf-8", bom=True)
        sink.row(HEADER)
        for index, entry in enumerate(entries, start=1):
            found = entry_problems(entry, accounts, options) + numbers.problems(entry, index)
            if found or problems:
                problems.extend(found)
                continue
            sink.rows(rows_of(entry, index, accounts, options))
            lines += len(entry.lines)
            target.entries += 1
        if problems:
            raise export_error(FORMAT, problems)
        sink.flush()
        written = target.commit()
    return ExportResult(FORMAT, (written,), written.entries, lines, written.rows)
