"""What the Export pane asks of the books: a preview (the first rows exactly as the writer will
write them, and every problem that would stop the export), the export itself, and the export log.

`ExportSource` is the interface; `ServicesExportSource` (services_source.py) implements it on the
formats writers and the services. Every method runs in a db-lane job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.storage.records import ExportRecord

#: Format keys (the CLI's `--format` values and the settings' choices) and their file suffixes.
SUFFIXES: dict[str, str] = {"iif": ".iif", "qbo-csv": ".csv", "xero-csv": ".csv", "xlsx": ".xlsx"}


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a format key, the statuses (posted by default), an inclusive date range."""

    format: str = "iif"
    statuses: frozenset[EntryStatus] = frozenset({EntryStatus.POSTED})
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def suffix(self) -> str:
        return SUFFIXES.get(self.format, "")


@dataclass(frozen=True)
class ExportPreview:
    """The head of the file as it will be written, and what would stop it being written.

    `problems` name the entry and line ("entry JE-7 of 2026-03-01, line 2: account 6110 has no
    Xero code"); `notes` say what the writer will do that the user should know (a Xero file split
    into numbered files).
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    entry_count: int
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: Entries the format leaves out, with why (Xero: bank and locked-account lines), and whether
    #: any has a bank line the Xero bank-statement files can carry.
    left_out: tuple[str, ...] = ()
    bank_lines: bool = False


@dataclass(frozen=True)
class ExportOutcome:
    files: tuple[Path, ...]
    entry_count: int
    changes: Changes = field(default_factory=lambda: Changes(exports=True))


class ExportSource(Protocol):
    def preview(self, company_id: int, request: ExportRequest, limit: int) -> ExportPreview: ...

    def export(self, company_id: int, request: ExportRequest, path: Path,
               progress: Progress) -> ExportOutcome: ...

    def bank_statements(self, company_id: int, request: ExportRequest, path: Path,
                        progress: Progress) -> ExportOutcome:
        """Xero bank-statement CSV files (one per bank account) named after `path`."""
        ...

    def history(self, company_id: int) -> Sequence[ExportRecord]: ...
