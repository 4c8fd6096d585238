"""`LedgerSource` on the application services (`bookkeeper_desktop.services`).

The services are functions that take an open `storage.Database`; `ctx.services` is that database
or an object carrying it as `.db`. Every method here runs in a db-lane job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import ConfigurationError, WorkflowError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.ledger.entry_table import SortSpec
from bookkeeper_desktop.gui.ledger.source import BulkAction, ChartSnapshot, ImportPreview
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import (
    BulkResult,
    EntryFilter,
    EntrySort,
    EntrySummary,
    SortColumn,
    TrialBalance,
)


def database_of(services: Any) -> Database:
    """The open database behind `ctx.services` (the database itself, or something with `.db`)."""
    if isinstance(services, Database):
        return services
    db = getattr(services, "db", None)
    if isinstance(db, Database):
        return db
    raise ConfigurationError("The ledger has no database to read from.",
                             hint="Open or create a company first.")


def _refused(result: BulkResult, what: str) -> None:
    if result.refused:
        raise WorkflowError(f"The entry could not be {what}: {result.refused[0].reason}")


class ServicesLedgerSource:
    def __init__(self, services: Any) -> None:
        self.services = services

    @property
    def db(self) -> Database:
        return database_of(self.services)

    # --- accounts ------------------------------------------------------------------------------

    def chart(self, company_id: int) -> ChartSnapshot:
        accounts = account_services.list_accounts(self.db, company_id)
        balances = account_services.account_balances(self.db, company_id)
        return ChartSnapshot(tuple(accounts), balances)

    def save_account(self, company_id: int, account: Account) -> Changes:
        if account.id is None:
            account_services.add_account(self.db, company_id, account)
        else:
            account_services.update_account(self.db, company_id, account)
        return Changes(accounts=True)

    def deactivate_account(self, company_id: int, account_id: int) -> Changes:
        account_services.deactivate_account(self.db, company_id, account_id)
        return Changes(accounts=True)

    # --- entries -------------------------------------------------------------------------------

    def entry_ids(self, company_id: int, entry_filter: EntryFilter,
                  sort: SortSpec) -> Sequence[int]:
        order = EntrySort(SortColumn(sort.key), sort.descending)
        return entry_services.entry_ids(self.db, company_id, entry_filter, order)

    def entry_rows(self, company_id: int, ids: Sequence[int]) -> Sequence[EntrySummary]:
        return list(entry_services.summaries_by_id(self.db, company_id, ids).values())

    def entry(self, company_id: int, entry_id: int) -> JournalEntry:
        return entry_services.get_entry(self.db, company_id, entry_id)

    def save_entry(self, company_id: int, entry: JournalEntry, status: EntryStatus) -> Changes:
        """Save as draft (a new entry, or changes to a draft or approved one), then approve it
        when asked; an approval the workflow refuses raises with its reason."""
        saved = entry_services.save_draft(self.db, company_id, entry)
        if status is EntryStatus.APPROVED and saved.id is not None:
            _refused(entry_services.approve_entries(self.db, company_id, [saved.id]), "approved")
        return Changes(entries=True)

    def void_entry(self, company_id: int, entry_id: int) -> Changes:
        _refused(entry_services.void_entries(self.db, company_id, [entry_id]), "voided")
        return Changes(entries=True)

    def bulk(self, company_id: int, action: BulkAction, ids: Sequence[int]) -> BulkResult:
        if action == "approve":
            return entry_services.approve_entries(self.db, company_id, ids)
        return entry_services.post_entries(self.db, company_id, ids)

    def trial_balance(self, company_id: int, as_of: dt.date | None) -> TrialBalance:
        return entry_services.trial_balance(self.db, company_id, as_of=as_of)

    # --- chart import --------------------------------------------------------------------------

    def preview_import(self, company_id: int, path: Path) -> ImportPreview:
        raise ConfigurationError("Chart import is not available in this build yet.")

    def apply_import(self, company_id: int, preview: ImportPreview,
                     progress: Progress) -> Changes:
        raise ConfigurationError("Chart import is not available in this build yet.")
