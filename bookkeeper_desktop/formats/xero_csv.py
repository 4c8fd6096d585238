"""Xero CSV: read the chart of accounts (`*Code,*Name,*Type,*Tax Code,...`) and write the
manual-journal import file.

Chart (FORMATS.md C1): `*Type` holds display names in real exports (`Current Asset`, `Overhead`)
but some tools write the API codes (`CURRENT`, `OVERHEADS`); both are read, whatever the case
(`Non-Current Asset` beside `Non-current Liability`). System-account pseudo-types (`Accounts
Receivable`, `GST`/`VAT`, `Historical`, ...) are recognised; the ones only Xero's own processes
post to (`Historical`, `Tracking`, `Bank Revaluations`, `Unrealised Currency Gains`) are skipped on
import with the reason, the others become ordinary accounts that remember their system role. Bank
accounts come without a code. Xero has no subaccounts: a colon in a name is text (`Administration
costs:Bank Charges`), and since our full names use `:` for paths it is read as ` - `, with a note.
The Xero API code is kept as the detail type (REVENUE and SALES both become our Income).

Manual journals (FORMATS.md C2): `*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,
TrackingName1,TrackingOption1,TrackingName2,TrackingOption2`; rows with the same narration and
date make one journal, Amount is signed (positive debit), AccountCode comes from the Xero mapping or
the account's own code, TaxRate is the full tax-rate name, dates are dd/mm/yyyy, and a file holds
at most 300 lines: a longer export is split into `name-1.csv`, `name-2.csv`... between journals,
never inside one. Each line's TaxRate is its own tax code, else its account's default tax code,
else the export setting (`ExportOptions.xero_tax_rate`).

Xero's manual journals refuse what its API refuses (`core.kinds`): a line on a bank account
(credit-card accounts are bank accounts in Xero) or on a system account Xero keeps itself
(Accounts Receivable, Accounts Payable, Unpaid Expense Claims, Tracking Transfers, Bank
Revaluations: help.xero.com/uk/Chart-LockedSystem). Such an entry is *left out* of the file,
not a reason to write nothing: every book has bank entries, and Xero takes them another way. The
writer names each one left out with the reason (`ExportResult.left_out`); their bank lines go to
Xero as a bank statement instead (`formats.xero_bank_csv`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bookkeeper_desktop.core.accounts import (
    Account,
    AccountSource,
    AccountType,
    from_xero,
    xero_api_code,
    xero_system_type,
)
from bookkeeper_desktop.core.errors import LineProblem
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.kinds import XERO_LOCKED
from bookkeeper_desktop.formats.common import (
    ChartRow,
    CsvSink,
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
    HashingWriter,
    Row,
    SkippedRow,
    WrittenFile,
    cell,
    header_key,
    is_blank,
    neutralise_formula,
    parse_amount,
)
from bookkeeper_desktop.formats.validation import base_problems, export_error, problem

FORMAT = ExportFormat.XERO_CSV

#: System pseudo-types that only Xero's own processes post to: skipped on import.
SKIPPED_SYSTEM_TYPES = frozenset({"HISTORICAL", "TRACKINGTRANSFERS", "BANKCURRENCYGAIN",
                                  "UNREALISEDCURRENCYGAIN"})
MAX_CODE_LENGTH = 10


def header_columns(fields: Sequence[str]) -> dict[str, int] | None:
    keys = [header_key(f) for f in fields]
    if not {"code", "name", "type"} <= set(keys):
        return None
    roles = {"code": "code", "name": "name", "type": "type", "taxcode": "tax",
             "description": "description", "balance": "balance"}
    return {role: keys.index(key) for key, role in roles.items() if key in keys}


def match_header(fields: Sequence[str]) -> bool:
    return header_columns(fields) is not None


def is_journal_header(fields: Sequence[str]) -> bool:
    """The header of a Xero manual-journal import file (what we write), not a chart."""
    keys = {header_key(f) for f in fields}
    return {"narration", "accountcode"} <= keys or {"narration", "amount", "date"} <= keys


def read_chart_rows(rows: Iterable[Row], header_line: int,
                    source: AccountSource = AccountSource.XERO_CSV
                    ) -> tuple[list[ChartRow], list[LineProblem], list[LineProblem],
                               list[SkippedRow]]:
    """Accounts below the header → (chart rows, problems, notes, skipped system accounts)."""
    columns: dict[str, int] | None = None
    chart: list[ChartRow] = []
    problems: list[LineProblem] = []
    notes: list[LineProblem] = []
    skipped: list[SkippedRow] = []
    for line, fields in rows:
        if line < header_line:
            continue
        if columns is None:
            columns = header_columns(fields)
            if columns is None:
                problems.append(LineProblem(line, "this is not a Xero chart-of-accounts header"))
                return chart, problems, notes, skipped
            continue
        if is_blank(fields):
            continue
        row = _chart_row(line, fields, columns, source=source, problems=problems, notes=notes,
                         skipped=skipped)
        if row is not None:
            chart.append(row)
    return chart, problems, notes, skipped


def _chart_row(line: int, fields: Sequence[str], columns: Mapping[str, int], *,
               source: AccountSource, problems: list[LineProblem], notes: list[LineProblem],
               skipped: list[SkippedRow]) -> ChartRow | None:
    code = cell(fields, columns["code"])
    name = cell(fields, columns["name"])
    label = cell(fields, columns["type"])
    if not name:
        problems.append(LineProblem(line, "the row has no *Name"))
        return None
    system = xero_system_type(label)
    account_type = from_xero(label)
    if account_type is None:
        what = f"an unknown *Type '{label}'" if label else "no *Type"
        problems.append(LineProblem(line, f"account '{name}' has {what}; Xero types are names "
                                          "such as Current Asset, Revenue or Overhead"))
        return None
    if system is not None and system.system_account in SKIPPED_SYSTEM_TYPES:
        skipped.append(SkippedRow(line, name, f"Xero system account ({label}); Xero keeps it "
                                               "itself and only its own processes post to it"))
        return None
    if not code and account_type is not AccountType.BANK:
        problems.append(LineProblem(line, f"account '{name}' has no *Code; Xero requires one "
                                          "for every account except bank accounts"))
        return None
    if len(code) > MAX_CODE_LENGTH:
        notes.append(LineProblem(line, f"code '{code}' is longer than Xero's {MAX_CODE_LENGTH} "
                                       "characters"))
    full_name = name
    if ":" in name:
        full_name = re.sub(r"\s*:\s*", " - ", name)
        notes.append(LineProblem(line, f"'{name}' is read as '{full_name}': Xero has no "
                                       "subaccounts, and ':' marks one here"))
    try:
        balance = parse_amount(cell(fields, columns.get("balance")))
    except ValueError as exc:
        problems.append(LineProblem(line, f"account '{name}': balance {exc}"))
        return None
    extra = {"xero_system_account": system.system_account} if system is not None else {}
    return ChartRow(
        line=line,
        full_name=" ".join(full_name.split()),
        type=account_type,
        original_type=label,
        source=source,
        code=code or None,
        detail_type=xero_api_code(label),
        description=cell(fields, columns.get("description")),
        tax_code=cell(fields, columns.get("tax")) or None,
        opening_balance=balance,
        extra=extra,
    )


# --- export ------------------------------------------------------------------------------------

HEADER = ("*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
          "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2")


def account_code(account_id: int, accounts: Mapping[int, Account],
                 options: ExportOptions) -> str | None:
    mapped = options.xero_codes.get(account_id)
    if mapped:
        return mapped
    account = accounts.get(account_id)
    return account.code if account is not None and account.code else None


#: Our account types Xero keeps as bank accounts (a Xero credit card is a BANK account).
BANK_TYPES = frozenset({AccountType.BANK, AccountType.CREDIT_CARD})
#: Our account types that are Xero system accounts a manual journal cannot post to.
_SYSTEM_TYPES = {AccountType.ACCOUNTS_RECEIVABLE: ("Accounts Receivable", "an invoice or a "
                                                   "payment"),
                 AccountType.ACCOUNTS_PAYABLE: ("Accounts Payable", "a bill or a payment")}
#: Wording of the refusal of a bank line, which the Export pane looks for to offer the
#: bank-statement file.
BANK_REFUSAL = "is a bank account, and Xero's manual journals cannot post to bank accounts"


def is_bank(account: Account) -> bool:
    return account.type in BANK_TYPES


def refusal(account: Account) -> str | None:
    """Why Xero's manual-journal import refuses a line on `account`, or None."""
    if is_bank(account):
        card = " (a credit card is a bank account in Xero)" if (
            account.type is AccountType.CREDIT_CARD) else ""
        return (f"'{account.full_name}' {BANK_REFUSAL}{card}; import its bank lines into Xero "
                "as a bank statement instead (Save bank statements)")
    system = _SYSTEM_TYPES.get(account.type)
    if system is not None:
        label, instead = system
        return (f"'{account.full_name}' is {label}, a system account Xero keeps itself that "
                f"manual journals cannot post to; enter it in Xero as {instead}, or journal to "
                "a separate account of the same type")
    if str(account.extra.get("xero_system_account", "")).upper() in XERO_LOCKED:
        return (f"'{account.full_name}' is a locked Xero system account that manual journals "
                "cannot post to; use another account")
    return None


def tax_rate_of(line: JournalLine, accounts: Mapping[int, Account],
                options: ExportOptions) -> str:
    """The line's own tax code, else its account's default, else the export setting."""
    account = accounts.get(line.account_id)
    default = account.tax_code if account is not None and account.tax_code else ""
    return (line.tax_code.strip() or default.strip() or options.xero_tax_rate).strip()


def entry_refusals(entry: JournalEntry, accounts: Mapping[int, Account]
                   ) -> list[ExportProblem]:
    """Why Xero's manual journals refuse `entry` (its bank and locked system lines, named), or
    nothing: such an entry is left out of the file."""
    found = []
    for number, line in enumerate(entry.lines, start=1):
        account = accounts.get(line.account_id)
        refused = refusal(account) if account is not None else None
        if refused is not None:
            found.append(problem(entry, refused, number))
    return found


def entry_problems(entry: JournalEntry, accounts: Mapping[int, Account],
                   options: ExportOptions) -> list[ExportProblem]:
    """What stops the whole export (an entry Xero would take if it were right); an entry Xero
    refuses by its accounts is left out instead (`entry_refusals`) and not checked further."""
    found = base_problems(entry, accounts)
    if entry_refusals(entry, accounts):
        return found
    missing_tax = False
    for number, line in enumerate(entry.lines, start=1):
        account = accounts.get(line.account_id)
        missing_tax = missing_tax or not tax_rate_of(line, accounts, options)
        if account is not None and account_code(line.account_id, accounts, options) is None:
            found.append(problem(entry, f"account '{account.full_name}' has no Xero account "
                                        "code: map it to a Xero account or give it a code",
                                 number))
        if len(_tracking(line.tracking)) > 2:
            found.append(problem(entry, "Xero takes at most two tracking categories per line",
                                 number))
    if len(entry.lines) > options.xero_max_lines:
        found.append(problem(entry, f"it has {len(entry.lines)} lines; a Xero import file takes "
                                    f"at most {options.xero_max_lines}, so it cannot be imported"))
    if missing_tax:
        found.append(problem(entry, "a line has no tax code, its account no default tax code, "
                                    "and no Xero tax rate name is set (Settings → Export)"))
    return found


def _tracking(text: str) -> list[tuple[str, str]]:
    """`Region:North; Project:Alpha` → [("Region", "North"), ("Project", "Alpha")]."""
    pairs = []
    for part in text.split(";"):
        if ":" in part:
            name, option = part.split(":", 1)
            pairs.append((name.strip(), option.strip()))
    return pairs


def narration_of(entry: JournalEntry) -> str:
    """The journal's narration: its memo, else its number. Xero groups rows by narration and
    date, so the writer makes it unique per date within a file."""
    return entry.memo.strip() or (f"Journal {entry.number}" if entry.number
                                  else f"Journal {entry.id or ''}".strip())


def rows_of(entry: JournalEntry, narration: str, accounts: Mapping[int, Account],
            options: ExportOptions) -> list[tuple[str, ...]]:
    assert entry.date is not None
    date = f"{entry.date.day:02d}/{entry.date.month:02d}/{entry.date.year:04d}"
    rows = []
    for line in entry.lines:
        tracking = _tracking(line.tracking)[:2]
        cells = [value for pair in tracking for value in pair]
        cells += [""] * (4 - len(cells))
        rows.append((
            neutralise_formula(narration), date, neutralise_formula(line.description),
            neutralise_formula(account_code(line.account_id, accounts, options) or ""),
            neutralise_formula(tax_rate_of(line, accounts, options)), f"{line.signed_amount:.2f}",
            *(neutralise_formula(c) for c in cells),
        ))
    return rows


class _Parts:
    """Numbered files of at most `limit` lines; journals are never split across files."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.done: list[WrittenFile] = []
        self.current: HashingWriter | None = None
        self.sink: CsvSink | None = None
        self.lines = 0
        self.narrations: set[tuple[str, str]] = set()

    def _part_path(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.stem}-{number}{self.path.suffix}")

    def sink_for(self, line_count: int) -> CsvSink:
        if self.sink is not None and self.lines + line_count <= self.limit:
            return self.sink
        self.close_current()
        self.current = HashingWriter(self._part_path(len(self.done) + 1))
        self.sink = CsvSink(self.current, "utf-8")
        self.sink.row(HEADER)
        self.lines = 0
        self.narrations = set()
        return self.sink

    def close_current(self) -> None:
        if self.current is not None and self.sink is not None:
            self.sink.flush()
            self.done.append(self.current.commit())
            self.current, self.sink = None, None

    def finish(self) -> list[WrittenFile]:
        if self.current is None and not self.done:
            self.sink_for(0)  # an empty export is a file with just the header
        self.close_current()
        if len(self.done) == 1:  # one file: it takes the name asked for
            only = self.done[0]
            only.path.replace(self.path)
            self.done = [WrittenFile(self.path, only.sha256, only.rows, only.entries)]
        return self.done

    def abort(self) -> None:
        if self.current is not None:
            self.current.abort()
        for written in self.done:
            written.path.unlink(missing_ok=True)


def write_journal(entries: Iterable[JournalEntry], accounts: Mapping[int, Account], path: Path,
                  options: ExportOptions | None = None) -> ExportResult:
    """Stream `entries` into Xero manual-journal CSV file(s); more than `xero_max_lines` lines go
    into `name-1.csv`, `name-2.csv`, ... Entries Xero refuses by their accounts are left out and
    named in `left_out`. Raises `ExportError` and leaves no file when any other entry cannot be
    imported by Xero."""
    options = options or ExportOptions()
    problems: list[ExportProblem] = []
    left_out: list[ExportProblem] = []
    parts = _Parts(path, options.xero_max_lines)
    lines = 0
    try:
        for entry in entries:
            found = entry_problems(entry, accounts, options)
            if found or problems:
                problems.extend(found)
                continue
            refused = entry_refusals(entry, accounts)
            if refused:
                left_out.extend(refused)
                continue
            sink = parts.sink_for(len(entry.lines))
            narration = narration_of(entry)
            assert entry.date is not None
            key = (narration, entry.date.isoformat())
            if key in parts.narrations:  # same narration and date would merge two journals
                narration = f"{narration} ({entry.number or entry.id or len(parts.narrations)})"
                key = (narration, key[1])
            parts.narrations.add(key)
            sink.rows(rows_of(entry, narration, accounts, options))
            assert parts.current is not None
            parts.current.entries += 1
            parts.lines += len(entry.lines)
            lines += len(entry.lines)
        if problems:
            raise export_error(FORMAT, problems)
        files = parts.finish()
    except BaseException:
        parts.abort()
        raise
    return ExportResult(FORMAT, tuple(files), sum(f.entries for f in files), lines,
                        sum(f.rows for f in files), tuple(left_out))
