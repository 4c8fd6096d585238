"""QuickBooks Desktop IIF: read a chart of accounts (`!ACCNT` blocks) and write journal entries as
GENERAL JOURNAL transactions (`!TRNS`/`!SPL`/`!ENDTRNS`).

Reading follows FORMATS.md A1/A3: TAB between fields (a comma-delimited IIF, which Reckon accepts,
is read too); a row starting with `!` names the columns of the rows with its keyword, and a data
row's field *n* maps to column *n* of its own header; one pair of surrounding quotes is stripped and
inner quotes are left as they are (never escaped in real exports); trailing empty fields and rows
shorter than their header are fine; every block other than `!ACCNT` (`!HDR`, `!QB ONLINE`,
`!CUSTITEMDICT`/`!ENDCUSTITEMDICT`, lists, transactions) is skipped. An `ACCNTTYPE` that is not
one of Intuit's 16 codes (the real sample's `MISC_LABOR_INCOME`) is reported with its line.

Writing follows FORMATS.md section D: TRNSTYPE `GENERAL JOURNAL` on every row, the same
`MM/DD/YYYY` date on TRNS and SPLs, full `Parent:Child` names, debit positive and credit negative,
each transaction summing to 0.00 and closed by `ENDTRNS`, TAB only, CRLF, cp1252 text without tabs,
line breaks or quotes (a field holding a comma is quoted), no BOM, and optionally an `!ACCNT` block
of the accounts used (with their parents) placed first.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bookkeeper_desktop.core.accounts import (
    Account,
    AccountSource,
    from_iif,
    normalise_path,
    split_path,
    to_iif,
    validate_path,
)
from bookkeeper_desktop.core.errors import LineProblem
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.formats.common import (
    ChartRow,
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
    HashingWriter,
    Row,
    cell,
    cp1252_problems,
    iif_field,
    parse_amount,
    split_lines,
)
from bookkeeper_desktop.formats.validation import (
    base_problems,
    export_error,
    name_required_problems,
    problem,
)

FORMAT = ExportFormat.IIF
#: QuickBooks Desktop limits each account-name segment to 31 characters and customer, vendor and
#: other names to 41 (FORMATS.md A3, marked unverified there; we keep to it to be safe).
MAX_SEGMENT = 31
MAX_NAME = 41
CRLF = "\r\n"

# --- reading -----------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    """Strip one pair of surrounding quotes; inner quotes stay (FORMATS.md A1 "Safe reading")."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def delimiter_of(lines: Iterable[str]) -> str | None:
    """TAB for a real IIF, "," for a comma-delimited one, None when neither (a file whose tabs
    were turned into spaces is not IIF)."""
    for line in lines:
        if not line.strip():
            continue
        if "\t" in line:
            return "\t"
        if line.startswith("!") and "," in line:
            return ","
        return None
    return None


def iif_rows(text: str) -> Iterator[Row]:
    """Rows of an IIF text with their 1-based line numbers."""
    lines = split_lines(text)
    delimiter = delimiter_of(lines[:20]) or "\t"
    if delimiter == "\t":
        for number, line in enumerate(lines, start=1):
            yield number, [_unquote(f) for f in line.split("\t")]
    else:
        for number, line in enumerate(lines, start=1):
            yield number, [f.strip() for f in next(csv.reader(io.StringIO(line)), [])]


def looks_like_iif(first_lines: list[str]) -> bool:
    """The first meaningful line is a keyword row: `!HDR`, `!ACCNT`, `!TRNS`, ..."""
    for line in first_lines:
        stripped = line.strip().lstrip("\ufeff").strip('"')
        if not stripped:
            continue
        return stripped.startswith("!") and bool(re.match(r"![A-Z]", stripped.upper()))
    return False


@dataclass
class IifSurvey:
    """What an IIF file holds: the header keywords in order and the data rows per keyword."""

    headers: list[str] = field(default_factory=list)
    data_rows: dict[str, int] = field(default_factory=dict)
    spaces_not_tabs: bool = False

    @property
    def transactions(self) -> int:
        return self.data_rows.get("TRNS", 0)

    @property
    def accounts(self) -> int:
        return self.data_rows.get("ACCNT", 0)


def survey(text: str) -> IifSurvey:
    result = IifSurvey()
    lines = split_lines(text)
    if delimiter_of(lines[:20]) is None:
        result.spaces_not_tabs = True
    for _, fields in iif_rows(text):
        if not fields or not fields[0].strip():
            continue
        keyword = fields[0].strip().upper()
        if keyword.startswith("!"):
            result.headers.append(keyword[1:])
        else:
            result.data_rows[keyword] = result.data_rows.get(keyword, 0) + 1
    return result


_LIST_NAMES = {
    "CUST": "a QuickBooks customer list",
    "VEND": "a QuickBooks vendor list",
    "EMP": "a QuickBooks employee list",
    "OTHERNAME": "a QuickBooks other-names list",
    "INVITEM": "a QuickBooks item list",
    "CLASS": "a QuickBooks class list",
    "BUD": "a QuickBooks budget",
    "TERMS": "a QuickBooks terms list",
    "SALESREP": "a QuickBooks sales-rep list",
    "TODO": "a QuickBooks to-do list",
}


def describe_non_chart(found: IifSurvey) -> str:
    """What an IIF without accounts is, in the user's words."""
    if found.transactions:
        return f"a QuickBooks Desktop IIF file of transactions ({found.transactions} transactions)"
    for keyword, words in _LIST_NAMES.items():
        if found.data_rows.get(keyword):
            return words + " (IIF)"
    blocks = ", ".join(f"!{h}" for h in found.headers[:6]) or "no blocks"
    return f"a QuickBooks Desktop IIF file without accounts ({blocks})"


_KNOWN_COLUMNS = {"NAME", "ACCNTTYPE"}


def read_chart_rows(rows: Iterable[Row], source: AccountSource = AccountSource.IIF
                    ) -> tuple[list[ChartRow], list[LineProblem], list[LineProblem]]:
    """Accounts of the `!ACCNT` blocks → (chart rows, problems, notes)."""
    columns: dict[str, dict[str, int]] = {}
    chart: list[ChartRow] = []
    problems: list[LineProblem] = []
    notes: list[LineProblem] = []
    transactions = 0
    for line, fields in rows:
        if not fields or not fields[0].strip():
            continue
        keyword = fields[0].strip().upper()
        if keyword.startswith("!"):
            columns[keyword[1:]] = {name.strip().upper(): i for i, name in enumerate(fields)
                                    if i and name.strip()}
            if keyword == "!ACCNT":
                missing = _KNOWN_COLUMNS - set(columns["ACCNT"])
                if missing:
                    problems.append(LineProblem(line, "the !ACCNT header has no "
                                                      + " or ".join(sorted(missing)) + " column"))
            continue
        if keyword == "TRNS":
            transactions += 1
        if keyword != "ACCNT":
            continue
        header = columns.get("ACCNT")
        if header is None:
            problems.append(LineProblem(line, "an ACCNT row comes before any !ACCNT header row"))
            continue
        if not set(header) >= _KNOWN_COLUMNS:
            continue  # already reported at the header
        row = _chart_row(line, fields, header, source, problems)
        if row is not None:
            chart.append(row)
    if transactions:
        notes.append(LineProblem(None, f"the file also holds {transactions} transaction(s); "
                                       "only its accounts are imported"))
    return chart, problems, notes


def _chart_row(line: int, fields: list[str], header: Mapping[str, int], source: AccountSource,
               problems: list[LineProblem]) -> ChartRow | None:
    def get(column: str) -> str:
        return cell(fields, header.get(column))

    name = get("NAME")
    type_code = get("ACCNTTYPE")
    if not name:
        problems.append(LineProblem(line, "the account has no NAME"))
        return None
    path_problems = validate_path(name)
    if path_problems:
        problems.append(LineProblem(line, "; ".join(path_problems)))
        return None
    account_type = from_iif(type_code)
    if account_type is None:
        what = f"'{type_code}'" if type_code else "empty"
        problems.append(LineProblem(
            line, f"account '{name}' has an unknown type {what}; QuickBooks Desktop types are "
                  "BANK, AR, OCASSET, FIXASSET, OASSET, AP, CCARD, OCLIAB, LTLIAB, EQUITY, INC, "
                  "COGS, EXP, EXINC, EXEXP and NONPOSTING"))
        return None
    try:
        balance = parse_amount(get("OBAMOUNT"))
    except ValueError as exc:
        problems.append(LineProblem(line, f"account '{name}': opening balance {exc}"))
        return None
    extra = {key: value for key, value in (("iif_extra", get("EXTRA").upper()),) if value}
    tax = get("TAXCODE")
    return ChartRow(
        line=line,
        full_name=normalise_path(name),
        type=account_type,
        original_type=type_code,
        source=source,
        code=get("ACCNUM") or None,
        description=get("DESC"),
        tax_code=tax or None,
        opening_balance=balance,
        active=get("HIDDEN").upper() != "Y",
        extra=extra,
    )


# --- export checks -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def account_name_problems(account: Account) -> tuple[str, ...]:
    """Why QuickBooks Desktop would not take this account name as it is (cached: an export
    asks about the same few accounts for every line)."""
    found = []
    for segment in split_path(account.full_name):
        if len(segment) > MAX_SEGMENT:
            found.append(f"the name part '{segment}' is {len(segment)} characters; QuickBooks "
                         f"Desktop allows {MAX_SEGMENT}")
    reason = cp1252_problems(account.full_name)
    if reason:
        found.append(f"the account name '{account.full_name}' cannot be used: {reason}")
    return tuple(found)


def entry_problems(entry: JournalEntry, accounts: Mapping[int, Account],
                   options: ExportOptions) -> list[ExportProblem]:
    found = base_problems(entry, accounts) + name_required_problems(entry, accounts, FORMAT)
    seen: set[int] = set()
    for number, line in enumerate(entry.lines, start=1):
        if len(line.contact) > MAX_NAME:
            found.append(problem(entry, f"the name '{line.contact}' is {len(line.contact)} "
                                        f"characters; QuickBooks Desktop allows {MAX_NAME}",
                                 number))
        account = accounts.get(line.account_id)
        if account is None or account.id in seen:
            continue
        seen.add(line.account_id)
        found.extend(problem(entry, text, number) for text in account_name_problems(account))
    return found


# --- writing -----------------------------------------------------------------------------------

TRNS_HEADER = ("!TRNS", "TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT",
               "DOCNUM", "MEMO")
SPL_HEADER = ("!SPL", "SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM",
              "MEMO")
ACCNT_HEADER = ("!ACCNT", "NAME", "ACCNTTYPE", "DESC", "ACCNUM")
TRNSTYPE = "GENERAL JOURNAL"


def _encode(text: str) -> bytes:
    return text.encode("cp1252")


def write_journal(entries: Iterable[JournalEntry], accounts: Mapping[int, Account], path: Path,
                  options: ExportOptions | None = None) -> ExportResult:
    """Stream `entries` into an IIF file at `path`. Raises `ExportError` (and leaves no file)
    when any entry cannot go into IIF; `checks.check_export` lists the same problems first."""
    options = options or ExportOptions()
    problems: list[ExportProblem] = []
    used: set[int] = set()
    lines = 0
    body = HashingWriter(path.with_name(path.name + ".body")) if options.include_accounts \
        else HashingWriter(path)
    with body:
        body.write(_encode(CRLF.join(("\t".join(TRNS_HEADER), "\t".join(SPL_HEADER),
                                      "!ENDTRNS")) + CRLF))
        body.rows = 3
        chunk: list[str] = []
        names: dict[int, str] = {}
        for entry in entries:
            found = entry_problems(entry, accounts, options)
            if found:
                problems.extend(found)
                continue
            if problems:
                continue  # keep checking, stop writing
            assert entry.date is not None
            date = f"{entry.date.month:02d}/{entry.date.day:02d}/{entry.date.year:04d}"
            docnum = iif_field(entry.number)
            for index, line in enumerate(entry.lines):
                name = names.get(line.account_id)
                if name is None:
                    name = names[line.account_id] = iif_field(accounts[line.account_id].full_name)
                    used.add(line.account_id)
                memo = iif_field(line.description or entry.memo)
                chunk.append("\t".join((
                    "TRNS" if index == 0 else "SPL", "", TRNSTYPE, date,
                    name, iif_field(line.contact),
                    iif_field(line.tracking), f"{line.signed_amount:.2f}", docnum, memo,
                )))
            chunk.append("ENDTRNS")
            lines += len(entry.lines)
            body.rows += len(entry.lines) + 1
            body.entries += 1
            if len(chunk) >= 1024:
                body.write(_encode(CRLF.join(chunk) + CRLF))
                chunk.clear()
        if problems:
            raise export_error(FORMAT, problems)
        if chunk:
            body.write(_encode(CRLF.join(chunk) + CRLF))
        if not options.include_accounts:
            written = body.commit()
            return ExportResult(FORMAT, (written,), written.entries, lines, written.rows)
        written_body = body.commit()
    return _with_accounts(written_body.path, path, used, accounts, entries=written_body.entries,
                          lines=lines, body_rows=written_body.rows)


def accounts_block(used: Iterable[int], accounts: Mapping[int, Account]) -> list[str]:
    """`!ACCNT` rows for the accounts used and each of their parents, parents first (FORMATS.md
    A1: every account a transaction uses must be defined above it)."""
    by_name = {a.full_name.lower(): a for a in accounts.values()}
    wanted: dict[str, Account] = {}
    for account_id in used:
        account = accounts[account_id]
        parts = split_path(account.full_name)
        for depth in range(1, len(parts) + 1):
            name = ":".join(parts[:depth])
            parent = by_name.get(name.lower())
            if parent is not None:
                wanted[parent.full_name.lower()] = parent
            else:  # a parent missing from the chart: QuickBooks needs it; same type as child
                wanted.setdefault(name.lower(), account.with_changes(
                    full_name=name, code=None, description=""))
    rows = ["\t".join(ACCNT_HEADER)]
    for account in sorted(wanted.values(), key=lambda a: split_path(a.full_name)):
        rows.append("\t".join(("ACCNT", iif_field(account.full_name), to_iif(account.type),
                               iif_field(account.description), iif_field(account.code or ""))))
    return rows


def _with_accounts(body_path: Path, path: Path, used: set[int], accounts: Mapping[int, Account],
                   *, entries: int, lines: int, body_rows: int) -> ExportResult:
    header = accounts_block(used, accounts)
    try:
        with HashingWriter(path) as final:
            final.write(_encode(CRLF.join(header) + CRLF))
            with body_path.open("rb") as body:
                while block := body.read(1 << 20):
                    final.write(block)
            final.rows = len(header) + body_rows
            final.entries = entries
            written = final.commit()
    finally:
        body_path.unlink(missing_ok=True)
    return ExportResult(FORMAT, (written,), entries, lines, written.rows)


__all__ = [
    "FORMAT",
    "account_name_problems",
    "describe_non_chart",
    "entry_problems",
    "iif_rows",
    "looks_like_iif",
    "read_chart_rows",
    "survey",
    "write_journal",
]
