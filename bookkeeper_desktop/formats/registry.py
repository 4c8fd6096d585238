"""One interface over the four format modules (STYLE.md practice 8): each has a chart reader
and a journal writer; `handler(format)` gives the module's `FormatHandler`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import ExportError
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.formats import iif, qbo_csv, xero_csv, xlsx
from bookkeeper_desktop.formats.common import (
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
)


class NumberCheck(Protocol):
    def problems(self, entry: JournalEntry, index: int) -> list[ExportProblem]: ...


EntryProblems = Callable[[JournalEntry, Mapping[int, Account], ExportOptions],
                         list[ExportProblem]]
Writer = Callable[[Iterable[JournalEntry], Mapping[int, Account], Path, ExportOptions | None],
                  ExportResult]


@dataclass(frozen=True)
class FormatHandler:
    """What a format module offers: the per-entry export check, the streaming writer, and (QBO
    only) a check across entries for journal numbers that would merge."""

    format: ExportFormat
    entry_problems: EntryProblems
    write_journal: Writer
    number_check: Callable[[], NumberCheck] | None = None

    def journal_numbers(self) -> NumberCheck | None:
        return self.number_check() if self.number_check is not None else None


HANDLERS: dict[ExportFormat, FormatHandler] = {
    ExportFormat.IIF: FormatHandler(ExportFormat.IIF, iif.entry_problems, iif.write_journal),
    ExportFormat.QBO_CSV: FormatHandler(ExportFormat.QBO_CSV, qbo_csv.entry_problems,
                                        qbo_csv.write_journal, qbo_csv.JournalNumbers),
    ExportFormat.XERO_CSV: FormatHandler(ExportFormat.XERO_CSV, xero_csv.entry_problems,
                                         xero_csv.write_journal),
    ExportFormat.XLSX: FormatHandler(ExportFormat.XLSX, xlsx.entry_problems, xlsx.write_journal),
}


def handler(format: ExportFormat | str) -> FormatHandler:
    return HANDLERS[ExportFormat(format)]


def write_export(entries: Iterable[JournalEntry], accounts: Mapping[int, Account],
                 format: ExportFormat | str, path: Path,
                 options: ExportOptions | None = None) -> ExportResult:
    """Write `entries` in `format` to `path` (a split Xero export adds `-1`, `-2`... to the
    name). Raises `core.errors.ExportError`, leaving no file, when an entry cannot go in or the
    file cannot be written (a missing folder, no permission, a full disk)."""
    try:
        return handler(format).write_journal(entries, accounts, path, options)
    except OSError as exc:
        raise ExportError(
            f"The file '{path}' could not be written: {exc.strerror or exc}.",
            hint="Choose a folder you can write to, with free space, and export again.",
        ) from exc
