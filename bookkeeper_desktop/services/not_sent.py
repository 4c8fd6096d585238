"""The Not sent list: every entry that is not at a provider after the last sync, why, and the one
action that fixes it (issue #12 item 3). No Qt.

    list_not_sent(db, company_id, provider=None) -> list[NotSentEntry]
    not_sent_states(db, company_id, entry_ids) -> {entry_id: {provider: NotSentEntry}}
    ledger_sync_text(db, company_id, summaries) -> {entry_id: "QBO: sent · Xero: not sent — …"}

The reasons (`sync.store.NotSentReason`) are exact categories recorded by the push, so the counts
per reason in a run's summary (`sync.engine.not_sent_counts`) are the lengths of this list per
reason. `not_sent_states` is the Ledger's bulk read for one page of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.providers.config import parse_provider
from bookkeeper_desktop.services.connections import list_connections
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import ConnectionStatus, EntrySummary
from bookkeeper_desktop.storage.schema import OutboxRow, RemoteObjectRow
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.engine import reason_words
from bookkeeper_desktop.sync.store import NotSentReason


class FixAction(StrEnum):
    """The one thing that gets a not-sent entry to the provider."""

    MAP_ACCOUNT = "map"
    OPEN_ENTRY = "open"
    SEND_AGAIN = "retry"
    RESOLVE_CONFLICT = "resolve"
    SYNC_AGAIN = "sync"

    @property
    def label(self) -> str:
        return {
            FixAction.MAP_ACCOUNT: "Map the account",
            FixAction.OPEN_ENTRY: "Open the entry",
            FixAction.SEND_AGAIN: "Send again",
            FixAction.RESOLVE_CONFLICT: "Resolve the conflict",
            FixAction.SYNC_AGAIN: "Sync again",
        }[self]


#: What fixes each reason: map the account; correct the entry (stopped before sending: its shape,
#: contact or currency); send again once the cause was fixed at the provider (a refusal: a closed
#: period reopened, an account made active); choose a side; or just sync (a passing failure).
ACTIONS = {
    NotSentReason.UNMAPPED: FixAction.MAP_ACCOUNT,
    NotSentReason.STOPPED: FixAction.OPEN_ENTRY,
    NotSentReason.REFUSED: FixAction.SEND_AGAIN,
    NotSentReason.CONFLICT: FixAction.RESOLVE_CONFLICT,
    NotSentReason.RETRY: FixAction.SYNC_AGAIN,
}


@dataclass(frozen=True)
class NotSentEntry:
    """One entry not at `provider`: `reason` (a `NotSentReason`), `message` (the entry, the
    reason in words and what to do), `action` (the one fix)."""

    outbox_id: int
    provider: str
    entry_id: int
    reason: str
    message: str
    action: FixAction
    operation: str = "create"
    attempts: int = 0
    #: When it took this state (a not-sent row is left alone until it is sent again).
    since: dt.datetime | None = None

    @property
    def reason_text(self) -> str:
        """"account not mapped", "refused by Xero", …: how the summary counts it."""
        return reason_words(self.reason, self.provider)


def _of(row: OutboxRow) -> NotSentEntry:
    reason = store.not_sent_reason(row)
    return NotSentEntry(row.id, row.provider, row.entry_id or 0, reason, row.last_error,
                        ACTIONS[reason], row.operation, row.attempts or 0, row.updated_at)


def list_not_sent(db: Database, company_id: int, provider: str | None = None
                  ) -> list[NotSentEntry]:
    """Every entry not sent (to `provider`, or to any), oldest entry first."""
    which = str(parse_provider(provider).value) if provider is not None else None
    with db.read_session() as session:
        return [_of(row) for row in store.not_sent(session, company_id, which)]


def not_sent_states(db: Database, company_id: int, entry_ids: Sequence[int]
                    ) -> dict[int, dict[str, NotSentEntry]]:
    """For a page of the Ledger: entry id → provider → why it is not sent (entries absent are
    sent or were never tried). One query per 500 entries."""
    found: dict[int, dict[str, NotSentEntry]] = {}
    if not entry_ids:
        return found
    with db.read_session() as session:
        for row in store.not_sent(session, company_id, None, entry_ids):
            found.setdefault(row.entry_id or 0, {})[row.provider] = _of(row)
    return found


def _short(provider: str) -> str:
    return "QBO" if provider == "qbo" else "Xero"


def ledger_sync_text(db: Database, company_id: int, entries: Sequence[EntrySummary]
                     ) -> dict[int, str]:
    """The Ledger's Sync column for a page of entries: per connected provider, "sent", "changed
    since sent", "not sent — <reason>" (`NotSentReason` in words), "not sent yet" (approved or
    posted, no sync since) or "from QBO/Xero" (pulled from it). Three queries a page, whatever
    the ledger's size; drafts and companies without a connection show nothing."""
    providers = sorted(c.provider for c in list_connections(db, company_id)
                       if c.status is not ConnectionStatus.DISCONNECTED
                       and c.provider in ("qbo", "xero"))
    if not providers or not entries:
        return {}
    ids = [e.id for e in entries]
    missing = not_sent_states(db, company_id, ids)
    agreed: dict[tuple[int, str], dt.datetime] = {}
    with db.read_session() as session:
        for entry_id, provider, fetched in session.execute(
                select(RemoteObjectRow.entry_id, RemoteObjectRow.provider,
                       func.max(RemoteObjectRow.fetched_at))
                .where(RemoteObjectRow.company_id == company_id,
                       RemoteObjectRow.entry_id.in_(ids))
                .group_by(RemoteObjectRow.entry_id, RemoteObjectRow.provider)):
            if entry_id is not None and fetched is not None:
                agreed[(entry_id, provider)] = fetched
    texts: dict[int, str] = {}
    for entry in entries:
        parts = []
        for provider in providers:
            state = _state(entry, provider, missing.get(entry.id, {}).get(provider),
                           agreed.get((entry.id, provider)))
            if state:
                parts.append(f"{_short(provider)}: {state}")
        if parts:
            texts[entry.id] = " · ".join(parts)
    return texts


def _state(entry: EntrySummary, provider: str, missing: NotSentEntry | None,
           agreed_at: dt.datetime | None) -> str:
    if missing is not None:
        return f"not sent — {missing.reason_text}"
    if entry.source.value == provider:
        return f"from {_short(provider)}"
    remote_id = entry.qbo_id if provider == "qbo" else entry.xero_id
    if remote_id:
        changed = (entry.updated_at is not None and agreed_at is not None
                   and entry.updated_at > agreed_at)
        return "changed since sent" if changed else "sent"
    if entry.status in (EntryStatus.APPROVED, EntryStatus.POSTED):
        return "not sent yet"
    return ""
