"""The Not sent list: every entry that is not at a provider after the last sync, why, and the one
action that fixes it (issue #12 item 3). No Qt.

    list_not_sent(db, company_id, provider=None) -> list[NotSentEntry]
    not_sent_states(db, company_id, entry_ids) -> {entry_id: {provider: NotSentEntry}}

The reasons (`sync.store.NotSentReason`) are exact categories recorded by the push, so the counts
per reason in a run's summary (`sync.engine.not_sent_counts`) are the lengths of this list per
reason. `not_sent_states` is the Ledger's bulk read for one page of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bookkeeper_desktop.providers.config import parse_provider
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import OutboxRow
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
