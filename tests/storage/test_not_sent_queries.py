"""The not-sent reads in SQL on SQLite and PostgreSQL: an entry counts as not sent only when its
newest outbox row for a provider says so (a later send settles it), per provider."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import entries
from bookkeeper_desktop.services.companies import Company
from bookkeeper_desktop.services.not_sent import list_not_sent
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort
from bookkeeper_desktop.storage.schema import OutboxRow
from bookkeeper_desktop.sync.engine import not_sent_counts


def test_newest_row_per_entry_and_provider_decides(db: Database, company: Company,
                                                   chart: dict[str, Account]) -> None:
    bank, expense = chart["1000"].id or 0, chart["6000"].id or 0
    ids = entries.bulk_insert_entries(db, company.id, [JournalEntry(
        date=dt.date(2026, 5, n + 1), number=f"E-{n}", status=EntryStatus.POSTED,
        lines=(JournalLine.of(expense, Decimal("10.00")), JournalLine.of(bank, Decimal("-10.00"))))
        for n in range(4)])
    rows = [
        (ids[0], "qbo", "refused", "unmapped"),  # still not sent
        (ids[1], "qbo", "refused", "refused"),
        (ids[1], "qbo", "sent", None),  # sent after the refusal: settled
        (ids[2], "qbo", "conflict", None),
        (ids[2], "xero", "failed", None),  # the same entry, another provider
        (ids[3], "qbo", "sent", None),
    ]
    with db.session() as session:
        session.execute(insert(OutboxRow), [
            {"company_id": company.id, "provider": provider, "entry_id": entry_id,
             "operation": "create", "idempotency_key": f"k{n}", "state": state,
             "reason": reason, "last_error": "why", "attempts": 1, "refusals": 0}
            for n, (entry_id, provider, state, reason) in enumerate(rows)])

    assert not_sent_counts(db, company.id, "qbo") == {"unmapped": 1, "conflict": 1}
    assert not_sent_counts(db, company.id, "xero") == {"retry": 1}
    assert [(e.entry_id, e.provider, e.reason) for e in list_not_sent(db, company.id)] == [
        (ids[0], "qbo", "unmapped"), (ids[2], "qbo", "conflict"), (ids[2], "xero", "retry")]
    assert sorted(entries.entry_ids(db, company.id, EntryFilter(not_sent=True),
                                    EntrySort())) == [ids[0], ids[2]]
