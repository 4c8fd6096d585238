"""`LedgerSource` on the application services (`bookkeeper_desktop.services`).

The services are functions that take an open `storage.Database`; `ctx.services` is that database
or an object carrying it as `.db`. Every method here runs in a db-lane job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.contacts import Contact, clean_name
from bookkeeper_desktop.core.errors import ConfigurationError, WorkflowError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry
from bookkeeper_desktop.core.kinds import contact_problems, own_role
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.formats import ImportPreview
from bookkeeper_desktop.gui.ledger.entry_table import SortSpec
from bookkeeper_desktop.gui.ledger.import_dialog import PreviewItem, PreviewKind, PreviewSummary
from bookkeeper_desktop.gui.ledger.source import (
    BulkAction,
    ChartSnapshot,
    EntryDetails,
    PreparedImport,
)
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import coa_import, coa_undo
from bookkeeper_desktop.services import contacts as contact_services
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services import sync as sync_services
from bookkeeper_desktop.services.coa_undo import ImportUndoPlan, ImportUndoResult
from bookkeeper_desktop.services.lookups import EntryLookups, entry_lookups
from bookkeeper_desktop.services.not_sent import ledger_sync_text
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import (
    BulkResult,
    EntryFilter,
    EntrySort,
    EntrySummary,
    SortColumn,
    TrialBalance,
)
from bookkeeper_desktop.storage.schema import JournalEntryRow as E


@dataclass(frozen=True)
class LedgerRow(EntrySummary):
    """A ledger row with its Sync column (`services.not_sent.ledger_sync_text`)."""

    sync: str = ""


def database_of(services: Any) -> Database:
    """The open database behind `ctx.services` (the database itself, or something with `.db`)."""
    if isinstance(services, Database):
        return services
    db = getattr(services, "db", None)
    if isinstance(db, Database):
        return db
    raise ConfigurationError("The ledger has no database to read from.",
                             hint="Open or create a company first.")


_ORDER_COLUMNS: dict[SortColumn, Any] = {
    SortColumn.DATE: E.date, SortColumn.NUMBER: E.number, SortColumn.MEMO: E.memo,
    SortColumn.STATUS: E.status, SortColumn.SOURCE: E.source, SortColumn.TOTAL: E.total,
    SortColumn.CREATED: E.created_at, SortColumn.UPDATED: E.updated_at, SortColumn.ID: E.id,
}
#: Ids read per `fetchmany`: the GUI thread gets the GIL back between two chunks.
ID_CHUNK = 4000


def streamed_entry_ids(db: Database, company_id: int, flt: EntryFilter,
                       sort: EntrySort) -> list[int]:
    """The ids `services.entries.entry_ids` returns, read in chunks straight from the driver.

    WORKAROUND: SQLAlchemy's result processing turns all the rows of a query into Python objects
    in one compiled loop that holds the GIL; for the 100k ids of a large ledger that is 50-100 ms
    during which the GUI thread cannot run a single slot (measured by
    benchmarks/bench_gui_ledger.py). The same SQL (the storage's own conditions and order, id as
    the tie-breaker) read with `fetchmany` gives the GIL back between chunks. Any driver error
    falls back to the service, which turns it into a typed storage error.

    Not fixable in storage by asking SQLAlchemy for chunks: with `yield_per(4000)` the same
    100k-id read still held the GIL for 60 ms at a stretch and took 215 ms instead of 31 ms
    (measured 2026-11-24 beside benchmarks/RESULTS_gui_sync2.md), so the read stays here.
    """
    try:
        return read_entry_ids(db, company_id, flt, sort)
    except Exception:
        return entry_services.entry_ids(db, company_id, flt, sort)


def read_entry_ids(db: Database, company_id: int, flt: EntryFilter,
                   sort: EntrySort) -> list[int]:
    """`streamed_entry_ids` without the fallback (driver errors propagate)."""
    column = _ORDER_COLUMNS[sort.column]
    order = (column.desc(), E.id.desc()) if sort.descending else (column.asc(), E.id.asc())
    query = select(E.id).where(*repositories.entry_conditions(company_id, flt)).order_by(*order)
    with db.read_session() as session:
        connection = session.connection()
        compiled = query.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        args: Any = (tuple(params[name] for name in compiled.positiontup or ())
                     if compiled.positional else params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(str(compiled), args)
            ids: list[int] = []
            while rows := cursor.fetchmany(ID_CHUNK):
                ids.extend(row[0] for row in rows)
        finally:
            cursor.close()
        return ids


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

    def entry_lookups(self, company_id: int) -> EntryLookups:
        return entry_lookups(self.db, company_id)

    def entry_details(self, company_id: int, entry_id: int) -> EntryDetails:
        entry = entry_services.get_entry(self.db, company_id, entry_id)
        named = {clean_name(line.contact) for line in entry.lines if clean_name(line.contact)}
        waiting = tuple((refused.provider, refused.message)
                        for refused in sync_services.list_refused(self.db, company_id)
                        if refused.entry_id == entry_id)
        return EntryDetails(entry_id, tuple(sorted(named, key=str.casefold)), waiting)

    def contact_problems(self, company_id: int, ids: Sequence[int]) -> dict[int, list[str]]:
        accounts = account_services.accounts_by_id(self.db, company_id)
        roles = {account_id: own_role(a.type) for account_id, a in accounts.items()}
        names = {account_id: a.full_name for account_id, a in accounts.items()}
        found = {}
        for entry in entry_services.get_entries(self.db, company_id, list(ids)):
            problems = contact_problems(entry, roles, names)
            if problems and entry.id is not None:
                found[entry.id] = problems
        return found

    def contacts(self, company_id: int) -> list[Contact]:
        return contact_services.list_contacts(self.db, company_id)

    def save_contact(self, company_id: int, contact: Contact) -> Contact:
        if contact.id is None:
            return contact_services.add_contact(self.db, company_id, contact)
        return contact_services.update_contact(
            self.db, company_id, contact.id, name=contact.name, is_customer=contact.is_customer,
            is_supplier=contact.is_supplier, email=contact.email, active=contact.active)

    def chart(self, company_id: int) -> ChartSnapshot:
        accounts = account_services.list_accounts(self.db, company_id)
        balances = account_services.account_balances(self.db, company_id)
        contacts = contact_services.list_contacts(self.db, company_id)
        last = coa_undo.last_import(self.db, company_id)
        return ChartSnapshot(tuple(accounts), balances, tuple(c.name for c in contacts),
                             last.label() if last is not None else "")

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
        return streamed_entry_ids(self.db, company_id, entry_filter, order)

    def entry_rows(self, company_id: int, ids: Sequence[int]) -> Sequence[EntrySummary]:
        summaries = list(entry_services.summaries_by_id(self.db, company_id, ids).values())
        # The Sync column, read in bulk for the page (never per row).
        texts = ledger_sync_text(self.db, company_id, summaries)
        return [LedgerRow(**vars(s), sync=texts.get(s.id, "")) if s.id in texts else s
                for s in summaries]

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

    def trial_balance(self, company_id: int, as_of: dt.date | None, *,
                      include_approved: bool = False) -> TrialBalance:
        statuses = ((EntryStatus.POSTED, EntryStatus.APPROVED) if include_approved
                    else (EntryStatus.POSTED,))
        return entry_services.trial_balance(self.db, company_id, as_of=as_of, statuses=statuses)

    # --- chart import --------------------------------------------------------------------------

    def preview_import(self, company_id: int, path: Path) -> PreparedImport:
        plan = coa_import.preview_import(self.db, company_id, path)
        return PreparedImport(summary_of(plan), plan, path)

    def apply_import(self, company_id: int, preview: PreparedImport,
                     progress: Progress) -> Changes:
        outcome = coa_import.apply_import(self.db, company_id, preview.plan,
                                          source_file=preview.path, progress=progress)
        return outcome.changes

    def plan_import_undo(self, company_id: int) -> ImportUndoPlan | None:
        return coa_undo.plan_undo_last(self.db, company_id)

    def undo_import(self, company_id: int, import_id: int,
                    progress: Progress) -> ImportUndoResult:
        return coa_undo.undo_last_import(self.db, company_id, import_id=import_id,
                                         progress=progress)


def summary_of(plan: ImportPreview) -> PreviewSummary:
    """What the preview dialog lists, from the formats layer's plan."""
    items: list[PreviewItem] = []
    for add in plan.adds:
        account = add.account
        detail = add.note or f"new {account.type.label.lower()} account"
        items.append(PreviewItem(PreviewKind.ADD, add.line, account.full_name, detail,
                                 account.type.label, account.code or ""))
    for update in plan.updates:
        account = update.updated
        items.append(PreviewItem(PreviewKind.UPDATE, update.line, account.full_name,
                                 update.summary, account.type.label, account.code or ""))
    items.extend(PreviewItem(PreviewKind.SKIP, skip.line, skip.full_name, skip.reason)
                 for skip in plan.skips)
    items.extend(PreviewItem(PreviewKind.ERROR, error.line, "", error.message)
                 for error in plan.errors)
    return PreviewSummary(plan.file_name, plan.format_label, tuple(items),
                          tuple(str(note) for note in plan.notes))
