"""The bulk paths (`storage.bulk.insert_rows`, used by `bulk_insert_entries` on SQLite and by a
pull's `insert_remotes`) store every value exactly as the ORM's own writes do, on SQLite and on
PostgreSQL: they skip SQLAlchemy's per-row parameter building, not the column types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import Company
from bookkeeper_desktop.storage.schema import RemoteObjectRow
from bookkeeper_desktop.sync import store

ENTRY_COLUMNS = ("company_id, number, date, memo, currency, status, source, total, line_count, "
                 "qbo_id, qbo_sync_token, xero_id, qbo_kind, xero_kind, remote_deleted")
LINE_COLUMNS = ("line_no, account_id, debit, credit, description, contact, tracking, "
                "tax_code")
REMOTE_COLUMNS = ("company_id, provider, object_type, remote_id, payload, version, "
                  "remote_updated_at, entry_id, deleted, fetched_at")


def _entry(chart: dict[str, Account]) -> JournalEntry:
    office, bank = chart["6000"].id, chart["1000"].id
    assert office is not None
    assert bank is not None
    return JournalEntry(
        date=dt.date(2026, 2, 28), number="JE-7", memo="Chairs, 'quoted' \"twice\"",
        currency="AUD", status=EntryStatus.POSTED, source=EntrySource.QBO,
        qbo_id="1042", qbo_sync_token="3", xero_kind="Bank spend",
        lines=(JournalLine.of(office, "1234567.89", description="chairs", tax_code="GST"),
               JournalLine.of(office, "0.01", contact="Store", tracking="Region: North"),
               JournalLine.of(bank, "-1234567.90")))


def _raw(db: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with db.read_session() as session:
        return [tuple(row) for row in session.execute(text(sql), params)]


def test_a_bulk_inserted_entry_is_stored_as_an_orm_insert_stores_it(
        db: Database, company: Company, chart: dict[str, Account]) -> None:
    entry = _entry(chart)
    with db.session() as session:
        by_orm = repositories.insert_entry(session, company.id, entry).id
        (by_bulk,) = repositories.bulk_insert_entries(session, company.id, [entry])

    entries = "SELECT " + ENTRY_COLUMNS + " FROM journal_entries WHERE id = :id"
    lines = "SELECT " + LINE_COLUMNS + " FROM journal_lines WHERE entry_id = :id ORDER BY line_no"
    assert _raw(db, entries, id=by_bulk) == _raw(db, entries, id=by_orm)
    assert _raw(db, lines, id=by_bulk) == _raw(db, lines, id=by_orm)
    assert len(_raw(db, lines, id=by_bulk)) == 3
    with db.read_session() as session:
        loaded = repositories.load_entries(session, company.id, [by_orm, by_bulk])
    assert loaded[by_bulk].lines == loaded[by_orm].lines == entry.lines
    assert loaded[by_bulk].created_at is not None
    assert loaded[by_bulk].created_at.tzinfo is dt.UTC
    if db.dialect == "sqlite":
        # Same storage class and text form: 2026-02-28, integer cents, "YYYY-MM-DD HH:MM:SS.ffffff".
        kinds = ("SELECT typeof(date), typeof(total), typeof(created_at), length(created_at), "
                 "typeof(remote_deleted) FROM journal_entries WHERE id = :id")
        assert _raw(db, kinds, id=by_bulk) == _raw(db, kinds, id=by_orm) == [
            ("text", "integer", "text", 26, "integer")]


def test_an_amount_with_fractions_of_a_cent_is_refused_and_nothing_is_stored(
        db: Database, company: Company, chart: dict[str, Account]) -> None:
    good = _entry(chart)
    office, bank = chart["6000"].id, chart["1000"].id
    assert office is not None
    assert bank is not None
    # Built around `JournalLine.of` (which refuses it too), as a bug elsewhere could.
    bad = good.with_changes(lines=(JournalLine(office, debit=Decimal("10.005")),
                                   JournalLine(bank, credit=Decimal("10.005"))))
    with pytest.raises(ValueError, match="fractions of a cent"), db.session() as session:
        repositories.bulk_insert_entries(session, company.id, [good, bad])
    assert _raw(db, "SELECT count(*) FROM journal_entries") == [(0,)]
    assert _raw(db, "SELECT count(*) FROM journal_lines") == [(0,)]


def test_bulk_inserted_remote_objects_are_stored_as_orm_ones_are(
        db: Database, company: Company) -> None:
    sydney = dt.timezone(dt.timedelta(hours=11))
    fetched = dt.datetime(2026, 12, 3, 9, 30, 15, 250000, tzinfo=dt.UTC)
    objects = [
        # Decimal amounts, text that needs quoting, a time in another zone (stored as UTC).
        ({"Id": "7", "TotalAmt": Decimal("19.90"), "PrivateNote": "a \"quote\" and ünicode",
          "Line": [{"Amount": Decimal("19.90")}]},
         {"remote_id": "7", "version": "2",
              "updated_at": dt.datetime(2026, 12, 3, 8, 0, 1, tzinfo=sydney), "local": "ab12",
              "deleted": False, "reason": ""}),
        ({"Id": "8"}, {"remote_id": "8", "version": None, "updated_at": None, "local": None,
                           "deleted": True, "reason": "deleted or voided at the provider"}),
    ]

    def values(suffix: str) -> list[dict[str, Any]]:
        return [store.remote_values(company.id, "qbo", "JournalEntry", payload,
                                    remote_id=options["remote_id"] + suffix,
                                    version=options["version"],
                                    updated_at=options["updated_at"], entry_id=None,
                                    local=options["local"], deleted=options["deleted"],
                                    reason=options["reason"], fetched_at=fetched)
                for payload, options in objects]

    with db.session() as session:
        store.insert_remotes(session, values("-bulk"))
        for row in values("-orm"):
            # An ORM row of the same values (what `store.save_remote` adds for a new object).
            session.add(RemoteObjectRow(**row))

    query = ("SELECT " + REMOTE_COLUMNS + " FROM remote_objects WHERE remote_id = :id")
    for remote_id in ("7", "8"):
        by_bulk = _raw(db, query, id=f"{remote_id}-bulk")
        by_orm = _raw(db, query, id=f"{remote_id}-orm")
        assert len(by_bulk) == 1
        assert by_bulk[0][:3] == by_orm[0][:3]
        assert by_bulk[0][4:] == by_orm[0][4:]
    with db.read_session() as session:
        stored = store.remote_object(session, company.id, "qbo", "JournalEntry", "7-bulk")
        assert stored is not None
        assert stored.remote_updated_at == dt.datetime(2026, 12, 2, 21, 0, 1, tzinfo=dt.UTC)
        assert stored.fetched_at == fetched
        assert stored.payload["TotalAmt"] == "19.90"  # exact text, never a float
        assert store.meta(stored) == {"local": "ab12", "posted": False, "reason": ""}
        gone = store.remote_object(session, company.id, "qbo", "JournalEntry", "8-bulk")
        assert gone is not None
        assert gone.deleted
        assert gone.remote_updated_at is None
