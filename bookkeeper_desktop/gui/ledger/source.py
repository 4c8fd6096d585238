"""Where the Ledger pane reads and writes: `LedgerSource`, the small interface the pane needs, and
`ServicesLedgerSource`, its implementation on the application services.

Every method runs inside a db-lane job (`ctx.jobs.run`), never in the GUI thread; the pane never
opens a session (STYLE.md practice 2). Methods that change something return the
`core.changes.Changes` the pane passes to `ctx.notify` (practice 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.contacts import Contact
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.ledger.entry_table import SortSpec
from bookkeeper_desktop.gui.ledger.import_dialog import PreviewSummary
from bookkeeper_desktop.services.coa_undo import ImportUndoPlan, ImportUndoResult
from bookkeeper_desktop.services.lookups import EntryLookups
from bookkeeper_desktop.storage.records import (
    BulkResult,
    EntryFilter,
    EntrySummary,
    TrialBalance,
)

BulkAction = Literal["approve", "post"]


@dataclass(frozen=True)
class ChartSnapshot:
    """The chart with its balances, read in one job."""

    accounts: tuple[Account, ...]
    balances: dict[int, Decimal]
    #: The company's contact names, for the Ledger's contact filter.
    contacts: tuple[str, ...] = ()
    #: The chart import an undo would take back ("chart.iif from 3 Dec 14:02"), or "" when
    #: there is none (`services.coa_undo`).
    last_import: str = ""


@dataclass(frozen=True)
class EntryDetails:
    """What the Ledger shows under the table for the current entry: the contacts its lines name,
    and per provider why it waits in "Waiting for a fix" (none when it is not waiting)."""

    entry_id: int
    contacts: tuple[str, ...] = ()
    waiting: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PreparedImport:
    """A chart file read and compared with the company's chart: what the dialog shows, and the
    plan (`formats.ImportPreview`) that goes back to `apply_import` unchanged."""

    summary: PreviewSummary
    plan: Any
    path: Path | None = None


class LedgerSource(Protocol):
    def chart(self, company_id: int) -> ChartSnapshot: ...

    def save_account(self, company_id: int, account: Account) -> Changes: ...

    def deactivate_account(self, company_id: int, account_id: int) -> Changes: ...

    def entry_ids(self, company_id: int, entry_filter: EntryFilter,
                  sort: SortSpec) -> Sequence[int]: ...

    def entry_rows(self, company_id: int, ids: Sequence[int]) -> Sequence[EntrySummary]: ...

    def entry(self, company_id: int, entry_id: int) -> JournalEntry: ...

    def save_entry(self, company_id: int, entry: JournalEntry,
                   status: EntryStatus) -> Changes: ...

    def void_entry(self, company_id: int, entry_id: int) -> Changes: ...

    def entry_details(self, company_id: int, entry_id: int) -> EntryDetails: ...

    def contacts(self, company_id: int) -> list[Contact]: ...

    def contact_problems(self, company_id: int, ids: Sequence[int]) -> dict[int, list[str]]:
        """Entry id → its receivable/payable lines without a contact (`core.kinds`), for the
        entries of `ids` that have any: the sync will hold them until fixed."""
        ...

    def save_contact(self, company_id: int, contact: Contact) -> Contact:
        """Add `contact` (no id) or change the stored one."""
        ...

    def entry_lookups(self, company_id: int) -> EntryLookups:
        """The entry editor completers' words: contacts and tax codes in use."""
        ...

    def bulk(self, company_id: int, action: BulkAction, ids: Sequence[int]) -> BulkResult: ...

    def trial_balance(self, company_id: int, as_of: dt.date | None, *,
                      include_approved: bool = False) -> TrialBalance: ...

    def preview_import(self, company_id: int, path: Path) -> PreparedImport: ...

    def apply_import(self, company_id: int, preview: PreparedImport,
                     progress: Progress) -> Changes: ...

    def plan_import_undo(self, company_id: int) -> ImportUndoPlan | None:
        """What undoing the last chart import would do; None when there is none."""
        ...

    def undo_import(self, company_id: int, import_id: int,
                    progress: Progress) -> ImportUndoResult:
        """Undo import `import_id`, which must still be the last one."""
        ...


class CompanyEntrySource:
    """The entry table's `EntryRowSource` for one company, on a `LedgerSource`."""

    def __init__(self, source: LedgerSource, company_id: int) -> None:
        self.source = source
        self.company_id = company_id

    def ids(self, entry_filter: Any, sort: SortSpec) -> Sequence[int]:
        return self.source.entry_ids(self.company_id, entry_filter or EntryFilter(), sort)

    def rows(self, ids: Sequence[int]) -> Sequence[EntrySummary]:
        return self.source.entry_rows(self.company_id, ids)
