"""Immutable records that storage hands out besides the core's `Account` and `JournalEntry`:
companies, ledger-table summaries, audit rows, export-log rows, connections, bulk results, the
trial balance, and the filter/sort values of the ledger's queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.core.money import ZERO


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    currency: str = "USD"
    created_at: dt.datetime | None = field(default=None, compare=False)
    updated_at: dt.datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EntrySummary:
    """One row of the ledger table: an entry without its lines (`total` is the sum of debits)."""

    id: int
    number: str
    date: dt.date
    memo: str
    currency: str
    status: EntryStatus
    source: EntrySource
    total: Decimal
    line_count: int
    qbo_id: str | None = None
    xero_id: str | None = None
    remote_deleted: bool = False
    updated_at: dt.datetime | None = field(default=None, compare=False)


class SortColumn(StrEnum):
    """What the ledger table can be sorted by (always with the id as a tie-breaker)."""

    DATE = "date"
    NUMBER = "number"
    MEMO = "memo"
    STATUS = "status"
    SOURCE = "source"
    TOTAL = "total"
    CREATED = "created"
    UPDATED = "updated"
    ID = "id"


@dataclass(frozen=True)
class EntrySort:
    column: SortColumn = SortColumn.DATE
    descending: bool = False


@dataclass(frozen=True)
class EntryFilter:
    """Which entries the ledger shows; every field narrows (None means "any").

    `text` matches the number or memo (case-insensitive substring); `account_id` keeps entries
    with at least one line on that account; `contact` those with a line naming that contact (any
    case); dates are inclusive.
    """

    statuses: frozenset[EntryStatus] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    account_id: int | None = None
    sources: frozenset[EntrySource] | None = None
    text: str = ""
    include_remote_deleted: bool = True
    contact: str = ""
    #: Only entries not sent to a provider (`services.not_sent`: not mapped, stopped, refused,
    #: conflict, waiting to retry), the Ledger's Sync filter.
    not_sent: bool = False

    @classmethod
    def of_status(cls, *statuses: EntryStatus) -> EntryFilter:
        return cls(statuses=frozenset(statuses))


@dataclass(frozen=True)
class Refusal:
    """Why one entry of a bulk action was left as it was."""

    entry_id: int
    reason: str


@dataclass(frozen=True)
class BulkResult:
    """The outcome of a bulk approve/post/void: what changed and, per entry, why not."""

    done: tuple[int, ...] = ()
    refused: tuple[Refusal, ...] = ()

    @property
    def changes(self) -> Changes:
        return Changes(entries=bool(self.done))

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass(frozen=True)
class AuditRecord:
    id: int
    company_id: int | None
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: int | None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportRecord:
    """One export-log row. `provider`: "qbo" (QBO CSV), "xero" (Xero CSV), "qbd" (IIF),
    "excel" (XLSX)."""

    id: int
    company_id: int
    provider: str
    format: str
    filters: Mapping[str, Any]
    record_count: int
    file_name: str
    checksum: str | None
    status: str
    message: str
    created_at: dt.datetime


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_ATTENTION = "needs_attention"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class ConnectionInfo:
    """A company's link to a QBO realm or Xero tenant: metadata only, never a token."""

    provider: str
    tenant_id: str | None
    remote_company_name: str = ""
    access_expires_at: dt.datetime | None = None
    refresh_expires_at: dt.datetime | None = None
    scopes: tuple[str, ...] = ()
    status: ConnectionStatus = ConnectionStatus.CONNECTED
    status_reason: str = ""
    connected_at: dt.datetime | None = None
    last_sync_at: dt.datetime | None = None
    company_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class TrialBalanceRow:
    account_id: int
    code: str | None
    full_name: str
    account_type: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class TrialBalance:
    """Balances per account (debit-normal balances in `debit`, the others in `credit`)."""

    rows: tuple[TrialBalanceRow, ...]
    as_of: dt.date | None
    statuses: frozenset[EntryStatus]

    @property
    def total_debit(self) -> Decimal:
        return sum((r.debit for r in self.rows), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((r.credit for r in self.rows), ZERO)

    @property
    def is_balanced(self) -> bool:
        return self.total_debit == self.total_credit
