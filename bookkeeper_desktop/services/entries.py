"""Journal entries: the ledger table's queries, saving, and the draft → approved → posted → void
workflow, with every change written to the audit log.

For the lazy Qt table model (STYLE.md practice 9): `count_entries`, `entry_ids` and
`page_entries` filter and sort in SQL; `summaries_by_id` fetches the rows for ids on demand. None of
them reads lines. `get_entry`/`get_entries`/`iter_entries` give full entries with lines.

Every save is validated with `core.journal.ensure_valid` (an unbalanced or otherwise invalid entry
is refused with every reason). Posted and void entries are never edited in place; editing an
approved entry sends it back to draft so that it is approved again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import BookkeeperError, NotFound, ValidationError
from bookkeeper_desktop.core.journal import (
    EntryStatus,
    JournalEntry,
    ensure_editable,
    ensure_valid,
    transition,
    validate_entry,
)
from bookkeeper_desktop.core.money import ZERO
from bookkeeper_desktop.services import contacts
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of, entry_of
from bookkeeper_desktop.storage.records import (
    BulkResult,
    EntryFilter,
    EntrySort,
    EntrySummary,
    Refusal,
    TrialBalance,
    TrialBalanceRow,
)
from bookkeeper_desktop.storage.schema import AccountRow, JournalEntryRow
from bookkeeper_desktop.storage.types import utc_now

ALL = EntryFilter()
#: After a bulk insert this large, fold SQLite's write-ahead log back into the file.
BULK_CHECKPOINT_AFTER = 10_000
DEFAULT_SORT = EntrySort()


# --- queries ------------------------------------------------------------------------------------


def count_entries(db: Database, company_id: int, flt: EntryFilter = ALL) -> int:
    with db.read_session() as session:
        return repositories.count_entries(session, company_id, flt)


def page_entries(
    db: Database,
    company_id: int,
    flt: EntryFilter = ALL,
    sort: EntrySort = DEFAULT_SORT,
    *,
    offset: int = 0,
    limit: int = 200,
) -> list[EntrySummary]:
    with db.read_session() as session:
        return repositories.page_entries(session, company_id, flt, sort, offset=offset, limit=limit)


def entry_ids(
    db: Database, company_id: int, flt: EntryFilter = ALL, sort: EntrySort = DEFAULT_SORT
) -> list[int]:
    with db.read_session() as session:
        return repositories.entry_ids(session, company_id, flt, sort)


def summaries_by_id(db: Database, company_id: int, ids: Sequence[int]) -> dict[int, EntrySummary]:
    with db.read_session() as session:
        return repositories.summaries_by_id(session, company_id, ids)


def get_entry(db: Database, company_id: int, entry_id: int) -> JournalEntry:
    entries = get_entries(db, company_id, [entry_id])
    if not entries:
        raise NotFound(f"There is no entry #{entry_id} in this company.")
    return entries[0]


def get_entries(db: Database, company_id: int, ids: Sequence[int]) -> list[JournalEntry]:
    """Entries with their lines, in the order of `ids` (unknown ids are left out)."""
    with db.read_session() as session:
        found = repositories.load_entries(session, company_id, ids)
    return [found[i] for i in ids if i in found]


def iter_entries(
    db: Database,
    company_id: int,
    flt: EntryFilter = ALL,
    sort: EntrySort = DEFAULT_SORT,
    *,
    batch_size: int = 1000,
) -> Iterator[JournalEntry]:
    """Every matching entry with its lines, a batch at a time (for exports of 100k entries)."""
    ids = entry_ids(db, company_id, flt, sort)
    for start in range(0, len(ids), batch_size):
        yield from get_entries(db, company_id, ids[start : start + batch_size])


# --- saving -------------------------------------------------------------------------------------


def _accounts(session: Session, company_id: int) -> dict[int, Account]:
    rows = session.execute(select(AccountRow).where(AccountRow.company_id == company_id))
    return {row.id: account_of(row) for row in rows.scalars()}


def _stored(session: Session, company_id: int, entry_id: int) -> JournalEntryRow:
    row = repositories.entry_row(session, company_id, entry_id, for_update=True)
    if row is None:
        raise NotFound(f"There is no entry #{entry_id} in this company.")
    return row


def _reload(session: Session, company_id: int, entry_id: int) -> JournalEntry:
    return repositories.load_entries(session, company_id, [entry_id])[entry_id]


def save_draft(
    db: Database, company_id: int, entry: JournalEntry, *, actor: str | None = None
) -> JournalEntry:
    """Save a new entry as a draft, or save changes to an existing editable one."""
    if entry.id is not None:
        return update_entry(db, company_id, entry, actor=actor)
    draft = entry.with_changes(status=EntryStatus.DRAFT, company_id=company_id)
    return add_entries(db, company_id, [draft], actor=actor)[0]


def add_entries(
    db: Database, company_id: int, entries: Iterable[JournalEntry], *, actor: str | None = None
) -> list[JournalEntry]:
    """Add new entries (keeping their status and source) in one transaction: all valid ones, or
    none: any invalid entry raises `ValidationError` naming it and every problem."""
    who = actor or default_actor()
    with db.session() as session:
        accounts = _accounts(session, company_id)
        saved: list[JournalEntry] = []
        for entry in entries:
            if entry.id is not None:
                raise ValidationError(f"The {entry.label} is already saved; use update_entry.")
            ensure_valid(entry, accounts)
            row = repositories.insert_entry(session, company_id, entry)
            repositories.add_audit(
                session,
                company_id,
                who,
                "create",
                obj=("entry", row.id),
                details={
                    "number": row.number,
                    "status": row.status,
                    "source": row.source,
                    "total": str(row.total),
                },
            )
            saved.append(_reload(session, company_id, row.id))
        contacts.ensure_named(session, company_id, saved, accounts)
        return saved


def update_entry(
    db: Database, company_id: int, entry: JournalEntry, *, actor: str | None = None
) -> JournalEntry:
    """Replace an editable (draft or approved) entry's date, memo, lines...; posted or void
    entries raise `WorkflowError`. An approved entry goes back to draft."""
    if entry.id is None:
        raise ValidationError("Only a saved entry can be updated; use save_draft for a new one.")
    with db.session() as session:
        row = _stored(session, company_id, entry.id)
        current = entry_of(row, list(row.lines))
        ensure_editable(current)
        updated = entry.with_changes(status=EntryStatus.DRAFT, company_id=company_id)
        accounts = _accounts(session, company_id)
        ensure_valid(updated, accounts)
        repositories.replace_entry(session, row, updated)
        contacts.ensure_named(session, company_id, [updated], accounts)
        repositories.add_audit(
            session,
            company_id,
            actor or default_actor(),
            "update",
            obj=("entry", row.id),
            details={
                "from_status": current.status.value,
                "total_before": str(current.total_debit),
                "total_after": str(updated.total_debit),
            },
        )
        return _reload(session, company_id, row.id)


# --- the workflow, in bulk -----------------------------------------------------------------------


def _bulk(
    db: Database,
    company_id: int,
    ids: Sequence[int],
    target: EntryStatus,
    *,
    action: str,
    actor: str | None,
    revalidate: bool,
    details: dict[str, str] | None = None,
) -> BulkResult:
    who = actor or default_actor()
    done: list[int] = []
    refused: list[Refusal] = []
    with db.session() as session:
        accounts = _accounts(session, company_id) if revalidate else {}
        for entry_id in dict.fromkeys(ids):
            row = repositories.entry_row(session, company_id, entry_id, for_update=True)
            if row is None:
                refused.append(Refusal(entry_id, f"There is no entry #{entry_id}."))
                continue
            entry = entry_of(row, list(row.lines))
            try:
                moved = transition(entry, target)
            except BookkeeperError as exc:
                refused.append(Refusal(entry_id, str(exc)))
                continue
            if revalidate:
                problems = validate_entry(moved, accounts)
                if problems:
                    refused.append(
                        Refusal(entry_id, f"The {entry.label} is not valid: " + " ".join(problems))
                    )
                    continue
            row.status = moved.status.value
            row.updated_at = utc_now()
            repositories.add_audit(
                session,
                company_id,
                who,
                action,
                obj=("entry", entry_id),
                details={
                    "from": entry.status.value,
                    "to": moved.status.value,
                    **(details or {}),
                },
            )
            done.append(entry_id)
    return BulkResult(done=tuple(done), refused=tuple(refused))


def approve_entries(
    db: Database, company_id: int, ids: Sequence[int], *, actor: str | None = None
) -> BulkResult:
    """Drafts → approved (each re-validated); every other id is refused with its reason."""
    return _bulk(
        db, company_id, ids, EntryStatus.APPROVED, action="approve", actor=actor, revalidate=True
    )


def unapprove_entries(
    db: Database, company_id: int, ids: Sequence[int], *, actor: str | None = None
) -> BulkResult:
    """Approved → back to draft."""
    return _bulk(
        db, company_id, ids, EntryStatus.DRAFT, action="unapprove", actor=actor, revalidate=False
    )


def post_entries(
    db: Database, company_id: int, ids: Sequence[int], *, actor: str | None = None
) -> BulkResult:
    """Approved → posted (each re-validated: an account may have been deactivated since)."""
    return _bulk(
        db, company_id, ids, EntryStatus.POSTED, action="post", actor=actor, revalidate=True
    )


def void_entries(
    db: Database, company_id: int, ids: Sequence[int], *, actor: str | None = None, reason: str = ""
) -> BulkResult:
    """Posted → void. Only posted entries can be voided; the reason goes into the audit log."""
    return _bulk(
        db,
        company_id,
        ids,
        EntryStatus.VOID,
        action="void",
        actor=actor,
        revalidate=False,
        details={"reason": reason} if reason else None,
    )


def delete_drafts(
    db: Database, company_id: int, ids: Sequence[int], *, actor: str | None = None
) -> BulkResult:
    """Delete draft entries (never approved, posted or void ones)."""
    who = actor or default_actor()
    done: list[int] = []
    refused: list[Refusal] = []
    with db.session() as session:
        for entry_id in dict.fromkeys(ids):
            row = repositories.entry_row(session, company_id, entry_id, for_update=True)
            if row is None:
                refused.append(Refusal(entry_id, f"There is no entry #{entry_id}."))
            elif row.status != EntryStatus.DRAFT.value:
                refused.append(
                    Refusal(
                        entry_id, f"Entry #{entry_id} is {row.status}; only drafts can be deleted."
                    )
                )
            else:
                repositories.add_audit(
                    session,
                    company_id,
                    who,
                    "delete",
                    obj=("entry", entry_id),
                    details={
                        "number": row.number,
                        "date": row.date.isoformat(),
                        "total": str(row.total),
                    },
                )
                session.delete(row)
                done.append(entry_id)
    return BulkResult(done=tuple(done), refused=tuple(refused))


def bulk_insert_entries(
    db: Database,
    company_id: int,
    entries: Iterable[JournalEntry],
    *,
    actor: str | None = None,
    validate: bool = True,
    note: str = "bulk insert",
) -> list[int]:
    """Insert many entries fast (Core executemany), in one transaction, with one audit row.

    For imports, sample data and benchmarks. With `validate`, every entry is checked first and
    nothing is written if any is invalid.
    """
    with db.session() as session:
        accounts = _accounts(session, company_id)
        names: dict[str, tuple[str, set[str]]] = {}

        def checked() -> Iterator[JournalEntry]:
            for entry in entries:
                if validate:
                    ensure_valid(entry, accounts)
                contacts.collect_names(entry, accounts, names)
                yield entry

        ids = repositories.bulk_insert_entries(session, company_id, checked())
        contacts.ensure_names(session, company_id, names)
        repositories.add_audit(
            session,
            company_id,
            actor or default_actor(),
            "bulk_create",
            obj=("entry", None),
            details={"count": len(ids), "note": note},
        )
    if len(ids) >= BULK_CHECKPOINT_AFTER:
        db.checkpoint()
    return ids


# --- reports ------------------------------------------------------------------------------------


def trial_balance(
    db: Database,
    company_id: int,
    *,
    as_of: dt.date | None = None,
    statuses: Iterable[EntryStatus] = (EntryStatus.POSTED,),
) -> TrialBalance:
    """Balance of every account with activity: positive balances in the debit column, negative
    in the credit column. Posted entries only by default; void entries never count."""
    wanted = frozenset(statuses) - {EntryStatus.VOID}
    with db.read_session() as session:
        balances = repositories.account_balances(session, company_id, wanted, as_of)
        accounts = _accounts(session, company_id)
    rows = []
    for account_id, balance in balances.items():
        if balance == ZERO:
            continue
        account = accounts[account_id]
        rows.append(
            TrialBalanceRow(
                account_id=account_id,
                code=account.code,
                full_name=account.full_name,
                account_type=account.type.value,
                debit=balance if balance > 0 else ZERO,
                credit=-balance if balance < 0 else ZERO,
            )
        )
    rows.sort(key=lambda r: (r.code or "~", r.full_name))
    return TrialBalance(rows=tuple(rows), as_of=as_of, statuses=wanted)
