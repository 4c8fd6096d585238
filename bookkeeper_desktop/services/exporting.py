"""Exporting journal entries: filters (status posted by default, or approved; date range; company),
the pre-check that names every entry the format cannot take before anything is written, the
streaming write (entries come from storage a page at a time), and an export-log row for every
attempt with its filters, count, file name, SHA-256 and status (`services.exports`).

    export_filter(statuses=None, date_from=None, date_to=None) -> EntryFilter
    check_entries(db, company_id, format, flt, options=None, *, limit=None) -> list[ExportProblem]
    preview_rows(db, company_id, format, flt, options=None, *, limit=20) -> ExportSample
    export_entries(db, company_id, format, path, *, flt=None, options=None, actor=None,
                   progress=None) -> ExportOutcome
    export_bank_statements(db, company_id, path, *, flt=None, actor=None, progress=None)
        -> StatementsOutcome   (Xero bank-statement CSVs of the bank lines Xero's journals
                                leave out)
    xero_codes(db, company_id) -> dict[int, str]     (confirmed Xero mappings)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import Cancelled, ExportError, ValidationError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.formats import (
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
    WrittenFile,
    check_export,
    qbo_csv,
    write_export,
    xero_bank_csv,
    xero_csv,
)
from bookkeeper_desktop.formats.validation import export_error
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services.exports import log_export
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort, ExportRecord, SortColumn
from bookkeeper_desktop.storage.schema import AccountMappingRow

EXPORTABLE_STATUSES = frozenset({EntryStatus.POSTED, EntryStatus.APPROVED})
#: Entries go out oldest first, numbers breaking ties, so files read like a journal.
EXPORT_SORT = EntrySort(SortColumn.DATE)
PAGE_SIZE = 1000


def export_filter(statuses: Iterable[EntryStatus] | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  ) -> EntryFilter:
    """The entries an export takes: posted by default, or approved; an inclusive date range.
    Drafts and void entries are never exported."""
    chosen = frozenset(statuses) if statuses else frozenset({EntryStatus.POSTED})
    refused = chosen - EXPORTABLE_STATUSES
    if refused:
        raise ValidationError(
            "Only posted or approved entries can be exported.",
            [f"'{s.value}' entries are not exported" for s in sorted(refused)])
    if date_from and date_to and date_from > date_to:
        raise ValidationError("The date range is empty.",
                              [f"{date_from.isoformat()} is after {date_to.isoformat()}"])
    return EntryFilter(statuses=chosen, date_from=date_from, date_to=date_to,
                       include_remote_deleted=False)


def xero_codes(db: Database, company_id: int) -> dict[int, str]:
    """Our account id → Xero account code, from the confirmed Xero mappings."""
    with db.read_session() as session:
        rows = session.execute(select(AccountMappingRow).where(
            AccountMappingRow.company_id == company_id, AccountMappingRow.provider == "xero",
            AccountMappingRow.state == "confirmed"))
        return {row.account_id: row.remote_code for row in rows.scalars() if row.remote_code}


def _options(db: Database, company_id: int, format: ExportFormat,
             options: ExportOptions | None) -> ExportOptions:
    options = options or ExportOptions()
    if format is ExportFormat.XERO_CSV and not options.xero_codes:
        options = replace(options, xero_codes=xero_codes(db, company_id))
    return options


def _entries(db: Database, company_id: int, flt: EntryFilter,
             progress: Progress | None = None, total: int | None = None
             ) -> Iterator[JournalEntry]:
    for done, entry in enumerate(entry_services.iter_entries(
            db, company_id, flt, EXPORT_SORT, batch_size=PAGE_SIZE), start=1):
        if progress is not None and done % PAGE_SIZE == 0:
            progress.check_cancelled()
            progress.report(done, total)
        yield entry


def check_entries(db: Database, company_id: int, format: ExportFormat | str, flt: EntryFilter,
                  options: ExportOptions | None = None, *, limit: int | None = None,
                  ) -> list[ExportProblem]:
    fmt = ExportFormat(format)
    accounts = account_services.accounts_by_id(db, company_id)
    return check_export(_entries(db, company_id, flt), accounts, fmt,
                        _options(db, company_id, fmt, options), limit=limit)


@dataclass(frozen=True)
class ExportSample:
    """The head of the file as the writer will write it, for the Export pane's preview."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    entry_count: int
    problems: tuple[ExportProblem, ...]
    notes: tuple[str, ...] = ()
    #: Entries the format takes another way and leaves out, each with why (Xero: bank and
    #: locked-account lines), and whether any has a bank line (a bank statement can take it).
    left_out: tuple[ExportProblem, ...] = ()
    bank_lines: bool = False


def preview_rows(db: Database, company_id: int, format: ExportFormat | str, flt: EntryFilter,
                 options: ExportOptions | None = None, *, limit: int = 20,
                 problem_limit: int = 200) -> ExportSample:
    fmt = ExportFormat(format)
    options = _options(db, company_id, fmt, options)
    accounts = account_services.accounts_by_id(db, company_id)
    count = entry_services.count_entries(db, company_id, flt)
    head: list[JournalEntry] = []
    for entry in _entries(db, company_id, replace(flt)):
        head.append(entry)
        if sum(len(e.lines) for e in head) >= limit:
            break
    headers, rows = _sample(fmt, head, accounts, options)
    problems = check_export(_entries(db, company_id, flt), accounts, fmt, options,
                            limit=problem_limit)
    notes = []
    left = _LeftOut()
    if fmt is ExportFormat.XERO_CSV:
        left = _xero_left_out(_entries(db, company_id, flt), accounts, problem_limit)
        if left.entries:
            count -= left.entries
            notes.append(f"{left.entries:,} entries on bank, credit-card, receivable or payable "
                         "accounts are left out: Xero's manual journals cannot post to them. "
                         "Save their bank lines as Xero bank statements, and enter invoices, "
                         "bills and payments in Xero (or send them with Sync).")
        lines = _line_count(db, company_id, flt) - left.lines
        if lines > options.xero_max_lines:
            notes.append(f"{lines} lines: Xero takes {options.xero_max_lines} per file, so the "
                         "export is split into numbered files (name-1.csv, name-2.csv, ...), "
                         "never splitting a journal.")
    return ExportSample(headers, tuple(rows[:limit]), count, tuple(problems), tuple(notes),
                        tuple(left.reasons), left.bank_lines)


@dataclass
class _LeftOut:
    """What Xero's journals leave out: the reasons (the first few), how many entries and lines,
    and whether any has a bank line (the bank statements can carry it)."""

    reasons: list[ExportProblem] = field(default_factory=list)
    entries: int = 0
    lines: int = 0
    bank_lines: bool = False


def _xero_left_out(entries: Iterable[JournalEntry], accounts: Mapping[int, Account],
                   limit: int) -> _LeftOut:
    left = _LeftOut()
    for entry in entries:
        refused = xero_csv.entry_refusals(entry, accounts)
        if not refused:
            continue
        left.entries += 1
        left.lines += len(entry.lines)
        left.bank_lines = left.bank_lines or any(
            xero_csv.is_bank(accounts[line.account_id])
            for line in entry.lines if line.account_id in accounts)
        left.reasons.extend(refused[:max(0, limit - len(left.reasons))])
    return left


def _line_count(db: Database, company_id: int, flt: EntryFilter) -> int:
    lines = offset = 0
    while True:
        page = entry_services.page_entries(db, company_id, flt, EXPORT_SORT, offset=offset,
                                           limit=5000)
        lines += sum(summary.line_count for summary in page)
        if len(page) < 5000:
            return lines
        offset += len(page)


def _sample(fmt: ExportFormat, head: list[JournalEntry], accounts: Mapping[int, Account],
            options: ExportOptions) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    rows: list[tuple[str, ...]] = []
    good = [e for e in head if e.date is not None and all(
        line.account_id in accounts for line in e.lines)]
    if fmt is ExportFormat.QBO_CSV:
        for index, entry in enumerate(good, start=1):
            rows.extend(qbo_csv.rows_of(entry, index, accounts, options))
        return qbo_csv.HEADER, rows
    if fmt is ExportFormat.XERO_CSV:
        for entry in good:
            if xero_csv.entry_refusals(entry, accounts):
                continue
            rows.extend(xero_csv.rows_of(entry, xero_csv.narration_of(entry), accounts, options))
        return xero_csv.HEADER, rows
    headers = ("Entry No.", "Date", "Account", "Amount", "Memo")
    for entry in good:
        assert entry.date is not None
        date = (f"{entry.date.month:02d}/{entry.date.day:02d}/{entry.date.year:04d}"
                if fmt is ExportFormat.IIF else entry.date.isoformat())
        for line in entry.lines:
            rows.append((entry.number, date, accounts[line.account_id].full_name,
                         f"{line.signed_amount:.2f}", line.description or entry.memo))
    return headers, rows


@dataclass(frozen=True)
class ExportOutcome:
    result: ExportResult
    records: tuple[ExportRecord, ...]
    changes: Changes = field(default_factory=lambda: Changes(exports=True))


def _filters_json(flt: EntryFilter, fmt: ExportFormat, options: ExportOptions
                  ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "statuses": sorted(s.value for s in flt.statuses or ()),
        "date_from": flt.date_from.isoformat() if flt.date_from else None,
        "date_to": flt.date_to.isoformat() if flt.date_to else None,
    }
    if fmt is ExportFormat.QBO_CSV:
        data["date_format"] = options.date_format
    if fmt is ExportFormat.XERO_CSV:
        data["tax_rate"] = options.xero_tax_rate
    if fmt is ExportFormat.IIF:
        data["include_accounts"] = options.include_accounts
    return data


def export_entries(db: Database, company_id: int, format: ExportFormat | str, path: Path, *,
                   flt: EntryFilter | None = None, options: ExportOptions | None = None,
                   actor: str | None = None, progress: Progress | None = None,
                   ) -> ExportOutcome:
    """Check, then write, the entries matching `flt` (posted ones by default) to `path`.

    `ExportError` (nothing written, a "failed" log row) when any entry cannot go into the
    format; `Cancelled` (nothing left behind, a "cancelled" log row) when the user stops it."""
    fmt = ExportFormat(format)
    flt = flt or export_filter()
    options = _options(db, company_id, fmt, options)
    accounts = account_services.accounts_by_id(db, company_id)
    total = entry_services.count_entries(db, company_id, flt)
    filters = _filters_json(flt, fmt, options)

    def log(status: str, count: int, name: str, checksum: str | None, message: str = ""
            ) -> ExportRecord:
        return log_export(db, company_id, provider=fmt.provider, format=fmt.value,
                          filters=filters, record_count=count, file_name=name,
                          checksum=checksum, status=status, message=message, actor=actor)

    try:
        if progress is not None:
            progress.phase("Checking entries", total)
        problems = check_export(_entries(db, company_id, flt, progress, total), accounts, fmt,
                                options)
        if problems:
            raise _refusal(fmt, problems)
        if progress is not None:
            progress.phase("Writing the file", total)
        result = write_export(_entries(db, company_id, flt, progress, total), accounts, fmt,
                              path, options)
    except ExportError as exc:
        log("failed", 0, str(path), None, exc.message + " " + "; ".join(exc.problems[:20]))
        raise
    except Cancelled:
        log("cancelled", 0, str(path), None, "cancelled by the user")
        raise
    if progress is not None:
        progress.report(total, total)
    left = len({p.entry for p in result.left_out})
    note = (f"{left} entries left out: Xero's manual journals cannot post to their bank, "
            "receivable or payable accounts" if left else "")
    records = tuple(log("succeeded", written.entries, str(written.path), written.sha256, note)
                    for written in result.files)
    return ExportOutcome(result, records)


@dataclass(frozen=True)
class StatementsOutcome:
    """Xero bank-statement files written, one per bank account (more past 1,000 lines)."""

    files: tuple[WrittenFile, ...]
    records: tuple[ExportRecord, ...]
    changes: Changes = field(default_factory=lambda: Changes(exports=True))

    @property
    def line_count(self) -> int:
        return sum(f.entries for f in self.files)


def export_bank_statements(db: Database, company_id: int, path: Path, *,
                           flt: EntryFilter | None = None, actor: str | None = None,
                           progress: Progress | None = None) -> StatementsOutcome:
    """The bank and credit-card lines of the entries matching `flt`, as Xero bank-statement CSV
    files named after `path` (`<stem>-<account>.csv`): how the entries Xero's manual journals
    leave out reach Xero. Each file gets an export-log row."""
    flt = flt or export_filter()
    accounts = account_services.accounts_by_id(db, company_id)
    total = entry_services.count_entries(db, company_id, flt)
    if progress is not None:
        progress.phase("Writing bank statements", total)
    filters = _filters_json(flt, ExportFormat.XERO_CSV, ExportOptions())
    filters.pop("tax_rate", None)
    try:
        files = xero_bank_csv.write_statements(
            _entries(db, company_id, flt, progress, total), accounts, path)
    except Cancelled:
        log_export(db, company_id, provider="xero", format=xero_bank_csv.FORMAT_KEY,
                   filters=filters, record_count=0, file_name=str(path), checksum=None,
                   status="cancelled", message="cancelled by the user", actor=actor)
        raise
    records = tuple(log_export(db, company_id, provider="xero", format=xero_bank_csv.FORMAT_KEY,
                               filters=filters, record_count=written.entries,
                               file_name=str(written.path), checksum=written.sha256,
                               status="succeeded", actor=actor) for written in files)
    return StatementsOutcome(tuple(files), records)


def _refusal(fmt: ExportFormat, problems: list[ExportProblem]) -> ExportError:
    return export_error(fmt, problems)
