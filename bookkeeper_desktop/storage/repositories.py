"""Queries and writes on an open `Session`, shared by the services. Everything the ledger table
needs is answered in SQL from the entry rows alone (the stored `total` and `line_count`), so
paging, sorting and counting 100k entries never reads their 300k lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, any_, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.money import ZERO, money
from bookkeeper_desktop.storage.bulk import insert_rows
from bookkeeper_desktop.storage.mapping import fill_entry_row, line_rows
from bookkeeper_desktop.storage.records import (
    EntryFilter,
    EntrySort,
    EntrySummary,
    SortColumn,
)
from bookkeeper_desktop.storage.schema import (
    AuditLogRow,
    JournalEntryRow,
    JournalLineRow,
    OutboxRow,
)
from bookkeeper_desktop.storage.types import Money, utc_now

E = JournalEntryRow
L = JournalLineRow

_SORT_COLUMNS: dict[SortColumn, Any] = {
    SortColumn.DATE: E.date,
    SortColumn.NUMBER: E.number,
    SortColumn.MEMO: E.memo,
    SortColumn.STATUS: E.status,
    SortColumn.SOURCE: E.source,
    SortColumn.TOTAL: E.total,
    SortColumn.CREATED: E.created_at,
    SortColumn.UPDATED: E.updated_at,
    SortColumn.ID: E.id,
}

_SUMMARY_COLUMNS = (
    E.id,
    E.number,
    E.date,
    E.memo,
    E.currency,
    E.status,
    E.source,
    E.total,
    E.line_count,
    E.qbo_id,
    E.xero_id,
    E.remote_deleted,
    E.updated_at,
)


_ENTRY_COLUMNS = (
    E.id, E.company_id, E.number, E.date, E.memo, E.currency, E.status, E.source, E.qbo_id,
    E.qbo_sync_token, E.xero_id, E.qbo_kind, E.xero_kind, E.created_at, E.updated_at,
)


#: Outbox states of an entry not at the provider (`sync.store.NOT_SENT_STATES` is this): refused
#: (or stopped, or unmapped), conflict, failed (sent again at the next sync).
NOT_SENT_OUTBOX_STATES = ("refused", "conflict", "failed")


def newest_not_sent(company_id: int) -> list[ColumnElement[bool]]:
    """Conditions on `OutboxRow`: a row of the company in a not-sent state with no newer row for
    its entry and provider (the entry's newest word on that provider is "not sent")."""
    newer = OutboxRow.__table__.alias("newer")
    return [OutboxRow.company_id == company_id, OutboxRow.entry_id.is_not(None),
            OutboxRow.state.in_(NOT_SENT_OUTBOX_STATES),
            ~select(newer.c.id).where(newer.c.entry_id == OutboxRow.entry_id,
                                      newer.c.provider == OutboxRow.provider,
                                      newer.c.id > OutboxRow.id).exists()]


def not_sent_entry_ids(company_id: int) -> Select[Any]:
    """Ids of entries whose newest outbox row (per provider) says not sent, as a subquery."""
    return select(OutboxRow.entry_id).where(*newest_not_sent(company_id))


def entry_conditions(company_id: int, flt: EntryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [E.company_id == company_id]
    if flt.statuses is not None:
        conditions.append(E.status.in_(sorted(s.value for s in flt.statuses)))
    if flt.date_from is not None:
        conditions.append(E.date >= flt.date_from)
    if flt.date_to is not None:
        conditions.append(E.date <= flt.date_to)
    if flt.sources is not None:
        conditions.append(E.source.in_(sorted(s.value for s in flt.sources)))
    if flt.account_id is not None:
        conditions.append(E.id.in_(select(L.entry_id).where(L.account_id == flt.account_id)))
    contact = " ".join(flt.contact.split())
    if contact:
        conditions.append(E.id.in_(select(L.entry_id).where(
            func.lower(L.contact) == contact.lower())))
    if flt.text.strip():
        needle = flt.text.strip()
        conditions.append(
            E.memo.icontains(needle, autoescape=True) | E.number.icontains(needle, autoescape=True)
        )
    if not flt.include_remote_deleted:
        conditions.append(E.remote_deleted.is_(False))
    if flt.not_sent:
        conditions.append(E.id.in_(not_sent_entry_ids(company_id)))
    return conditions


def _ordered(query: Select[Any], sort: EntrySort) -> Select[Any]:
    column = _SORT_COLUMNS[sort.column]
    if sort.descending:
        return query.order_by(column.desc(), E.id.desc())
    return query.order_by(column.asc(), E.id.asc())


def count_entries(session: Session, company_id: int, flt: EntryFilter) -> int:
    query = select(func.count()).select_from(E).where(*entry_conditions(company_id, flt))
    return int(session.execute(query).scalar_one())


def _summary(row: Any) -> EntrySummary:
    return EntrySummary(
        id=row.id,
        number=row.number,
        date=row.date,
        memo=row.memo,
        currency=row.currency,
        status=EntryStatus(row.status),
        source=EntrySource(row.source),
        total=row.total,
        line_count=row.line_count,
        qbo_id=row.qbo_id,
        xero_id=row.xero_id,
        remote_deleted=row.remote_deleted,
        updated_at=row.updated_at,
    )


def page_entries(
    session: Session,
    company_id: int,
    flt: EntryFilter,
    sort: EntrySort,
    *,
    offset: int,
    limit: int,
) -> list[EntrySummary]:
    query = _ordered(select(*_SUMMARY_COLUMNS).where(*entry_conditions(company_id, flt)), sort)
    rows = session.execute(query.offset(max(0, offset)).limit(max(0, limit)))
    return [_summary(row) for row in rows]


def entry_ids(session: Session, company_id: int, flt: EntryFilter, sort: EntrySort) -> list[int]:
    query = _ordered(select(E.id).where(*entry_conditions(company_id, flt)), sort)
    return list(session.execute(query).scalars())


def _among(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN (ids)`; on PostgreSQL `column = ANY(array)`, one parameter instead of
    hundreds (psycopg parses every placeholder of a statement)."""
    if session.connection().dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(Integer)))  # type: ignore[no-any-return]
    return column.in_(list(ids))  # type: ignore[no-any-return]


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def summaries_by_id(
    session: Session, company_id: int, ids: Sequence[int]
) -> dict[int, EntrySummary]:
    found: dict[int, EntrySummary] = {}
    for chunk in _chunks(list(ids)):
        # By primary key only, the company checked here: with `company_id = ?` in the WHERE
        # clause SQLite walks the company's index (all 100k rows) instead of 100 key lookups.
        query = select(E.company_id, *_SUMMARY_COLUMNS).where(_among(session, E.id, chunk))
        for row in session.execute(query):
            if row.company_id == company_id:
                found[row.id] = _summary(row)
    return found


def load_entries(session: Session, company_id: int, ids: Sequence[int]
                 ) -> dict[int, JournalEntry]:
    """Entries with their lines, two column queries per 500 ids (no ORM objects: reading 100k
    entries for an export stays fast)."""
    found: dict[int, JournalEntry] = {}
    for chunk in _chunks(list(ids)):
        headers = [  # by primary key only; see summaries_by_id
            row
            for row in session.execute(
                select(*_ENTRY_COLUMNS).where(_among(session, E.id, chunk))
            )
            if row.company_id == company_id
        ]
        lines: dict[int, list[JournalLine]] = {row.id: [] for row in headers}
        if not lines:
            continue
        line_query = (
            select(L.entry_id, L.account_id, L.debit, L.credit, L.description, L.contact,
                   L.tracking, L.tax_code)
            .where(_among(session, L.entry_id, list(lines)))
            .order_by(L.entry_id, L.line_no)
        )
        for entry_id, account_id, debit, credit, description, contact, tracking, tax_code in (
            session.execute(line_query)
        ):
            lines[entry_id].append(JournalLine(account_id, debit, credit, description, contact,
                                               tracking, tax_code or ""))
        for row in headers:
            found[row.id] = JournalEntry(
                date=row.date, lines=tuple(lines[row.id]), number=row.number, memo=row.memo,
                currency=row.currency, status=EntryStatus(row.status),
                source=EntrySource(row.source), id=row.id, company_id=row.company_id,
                qbo_id=row.qbo_id, qbo_sync_token=row.qbo_sync_token, xero_id=row.xero_id,
                qbo_kind=row.qbo_kind, xero_kind=row.xero_kind,
                created_at=row.created_at, updated_at=row.updated_at,
            )
    return found


def entry_row(
    session: Session, company_id: int, entry_id: int, *, for_update: bool = False
) -> JournalEntryRow | None:
    query = select(E).where(E.company_id == company_id, E.id == entry_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def insert_entry(session: Session, company_id: int, entry: JournalEntry) -> JournalEntryRow:
    row = JournalEntryRow(company_id=company_id)
    fill_entry_row(row, entry)
    row.lines = line_rows(entry)
    session.add(row)
    session.flush()
    return row


def replace_entry(session: Session, row: JournalEntryRow, entry: JournalEntry) -> None:
    """Overwrite an (editable) entry's header and lines with `entry`."""
    fill_entry_row(row, entry)
    row.updated_at = utc_now()
    row.lines.clear()
    session.flush()  # delete the old lines before the new ones take their line numbers
    row.lines.extend(line_rows(entry))
    session.flush()


def bulk_insert_entries(
    session: Session,
    company_id: int,
    entries: Iterable[JournalEntry],
    *,
    chunk_size: int = 5000,
) -> list[int]:
    """Insert many (already validated) entries; returns their ids in order.

    Used by pulls, imports and sample data. SQLite: one executemany per chunk of entries and one
    for their lines (`storage.bulk.insert_rows`). PostgreSQL: ids drawn from the sequence, then
    COPY.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _bulk_insert_postgres(connection, company_id, entries, chunk_size)
    # The write transaction began with BEGIN IMMEDIATE, so nobody else can insert until we
    # commit and the next ids are ours to assign (SQLite's INSERT RETURNING would go row by row).
    next_id = int(connection.execute(select(func.coalesce(func.max(E.id), 0))).scalar_one())
    ids: list[int] = []
    batch: list[JournalEntry] = []

    def flush() -> None:
        nonlocal next_id
        now = utc_now()
        new_ids = range(next_id + 1, next_id + 1 + len(batch))
        next_id += len(batch)
        insert_rows(connection, JournalEntryRow, _ENTRY_INSERT, (
            _entry_values(entry_id, company_id, e, now)
            for entry_id, e in zip(new_ids, batch, strict=True)))
        insert_rows(connection, JournalLineRow, _LINE_INSERT, (
            (entry_id, number, line.account_id, line.debit, line.credit, line.description,
             line.contact, line.tracking, line.tax_code)
            for entry_id, e in zip(new_ids, batch, strict=True)
            for number, line in enumerate(e.lines, start=1)))
        ids.extend(new_ids)
        batch.clear()

    for entry in entries:
        batch.append(entry)
        if len(batch) >= chunk_size:
            flush()
    if batch:
        flush()
    return ids


#: The columns a bulk insert fills, in the order of its rows (SQLite's executemany, PostgreSQL's
#: COPY).
_ENTRY_INSERT = ("id", "company_id", "number", "date", "memo", "currency", "status", "source",
                  "total", "line_count", "qbo_id", "qbo_sync_token", "xero_id", "qbo_kind",
                  "xero_kind", "remote_deleted", "created_at", "updated_at")
_LINE_INSERT = ("entry_id", "line_no", "account_id", "debit", "credit", "description",
                 "contact", "tracking", "tax_code")
_COPY_ENTRIES = f"COPY journal_entries ({', '.join(_ENTRY_INSERT)}) FROM STDIN"
_COPY_LINES = f"COPY journal_lines ({', '.join(_LINE_INSERT)}) FROM STDIN"


def _entry_values(entry_id: int, company_id: int, e: JournalEntry, now: dt.datetime
                  ) -> tuple[Any, ...]:
    """An entry's row in `_ENTRY_INSERT`'s order, new at `now`."""
    return (entry_id, company_id, e.number, e.date, e.memo, e.currency, e.status.value,
            e.source.value, e.total_debit, len(e.lines), e.qbo_id, e.qbo_sync_token, e.xero_id,
            e.qbo_kind, e.xero_kind, False, now, now)


def _bulk_insert_postgres(
    connection: Connection, company_id: int, entries: Iterable[JournalEntry], chunk_size: int,
) -> list[int]:
    """COPY in the session's own transaction: ids are taken from the table's sequence first
    (safe with other writers), then the rows stream in. Row-by-row INSERTs took 70 s for 100k
    entries; COPY takes a few."""
    raw = connection.connection.driver_connection
    assert raw is not None
    now = utc_now().replace(tzinfo=None)  # the columns hold naive UTC (UTCDateTime)
    ids: list[int] = []
    batch: list[JournalEntry] = []

    def flush(cursor: Any) -> None:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('journal_entries', 'id')) "
            "FROM generate_series(1, %s)", (len(batch),),
        )
        new_ids = [int(row[0]) for row in cursor.fetchall()]
        with cursor.copy(_COPY_ENTRIES) as copy:
            for entry_id, e in zip(new_ids, batch, strict=True):
                copy.write_row(_entry_values(entry_id, company_id, e, now))
        with cursor.copy(_COPY_LINES) as copy:
            for entry_id, e in zip(new_ids, batch, strict=True):
                for number, line in enumerate(e.lines, start=1):
                    copy.write_row((
                        entry_id, number, line.account_id, money(line.debit),
                        money(line.credit), line.description, line.contact, line.tracking,
                        line.tax_code,
                    ))
        ids.extend(new_ids)
        batch.clear()

    with raw.cursor() as cursor:
        for entry in entries:
            batch.append(entry)
            if len(batch) >= chunk_size:
                flush(cursor)
        if batch:
            flush(cursor)
    return ids


def account_balances(
    session: Session,
    company_id: int,
    statuses: Iterable[EntryStatus],
    as_of: dt.date | None,
) -> dict[int, Decimal]:
    """Debit-positive balance per account over entries in `statuses` dated up to `as_of`."""
    query = (
        select(
            L.account_id,
            type_coerce(func.sum(L.debit), Money()),
            type_coerce(func.sum(L.credit), Money()),
        )
        .join(E, E.id == L.entry_id)
        .where(E.company_id == company_id, E.status.in_(sorted(s.value for s in statuses)))
        .group_by(L.account_id)
    )
    if as_of is not None:
        query = query.where(E.date <= as_of)
    return {
        account_id: (debit or ZERO) - (credit or ZERO)
        for account_id, debit, credit in session.execute(query)
    }


def add_audit(
    session: Session,
    company_id: int | None,
    actor: str,
    action: str,
    *,
    obj: tuple[str, int | None],
    details: dict[str, Any] | None = None,
) -> None:
    """One audit row: `actor` did `action` to `obj` (object type, id) with `details`."""
    object_type, object_id = obj
    session.add(
        AuditLogRow(
            company_id=company_id,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details or {},
            at=utc_now(),
        )
    )
