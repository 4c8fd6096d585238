"""What one sync run carries around: the database, the company, the client, progress, counts and
the safe points.

A **safe point** is a place where everything before it is committed and nothing after it has
started: after a page of pulled objects and its cursor were committed, after an outbox row was
recorded and before its request is sent, after a batch's results were committed. Only there does
the run look at Cancel (`Progress.check_cancelled`). The crash tests use the same places: with
`BOOKKEEPER_SYNC_KILL_AT=N` in the environment the process ends itself (`os._exit`, no clean-up,
like a power cut) at the N-th safe point, and a restart must end with zero duplicates and zero lost
entries.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.sync.clients import QboClient, XeroClient

KILL_ENV = "BOOKKEEPER_SYNC_KILL_AT"
KILL_EXIT_STATUS = 86


@dataclass
class Counts:
    """What a run did, for the sync log and the one-line summary."""

    accounts_added: int = 0
    mappings_proposed: int = 0
    #: Contacts pulled from the provider: new in our list, or linked to one of ours by name.
    contacts_added: int = 0
    contacts_linked: int = 0
    #: Exact proposals confirmed on their own (the company's setting allows it).
    mappings_confirmed: int = 0
    #: Mapped accounts renamed or renumbered at the provider ("… account name 'A' → 'B'").
    accounts_renamed: list[str] = field(default_factory=list)
    pulled: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    unposted: int = 0
    pushed: int = 0
    push_updates: int = 0
    conflicts: int = 0
    reconciled: int = 0
    #: Entries the provider refused that wait for a fix (refused in this run or before).
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    #: Every entry waiting for a fix after this run (refused now, or before and not sent again):
    #: the entry, the provider's reason and what to do.
    waiting: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _kill_at() -> int | None:
    value = os.environ.get(KILL_ENV)
    return int(value) if value and value.isdigit() else None


@dataclass
class SyncContext:
    db: Database
    company_id: int
    provider: str
    client: QboClient | XeroClient
    progress: Progress
    counts: Counts = field(default_factory=Counts)
    safe_points: int = 0
    #: The sync log's row for this run (`outbox.run_id` of what it sends).
    run_id: int | None = None
    #: How many of `counts.errors` came before the push (the push's are each about an entry).
    errors_before_push: int = 0
    kill_at: int | None = field(default_factory=_kill_at)
    #: Called at every safe point (the engine renews its cross-process lease there).
    on_safe_point: Callable[[], None] | None = None
    #: The provider is connected push only (a second provider: `services.connections`): only its
    #: chart is read (to map to, nothing added to ours), no contact or transaction is pulled, and
    #: entries pulled from the other provider are sent there too.
    push_only: bool = False
    #: The currency of the provider's books (Xero's `BaseCurrency`), for what it sends without
    #: one: manual journals and bank transfers are always in it. None: ours, as before.
    remote_currency: str | None = None

    def safe_point(self) -> None:
        """Everything so far is committed: the process may die or stop here."""
        self.safe_points += 1
        if self.kill_at is not None and self.safe_points >= self.kill_at:
            os._exit(KILL_EXIT_STATUS)
        if self.on_safe_point is not None:
            self.on_safe_point()
        self.progress.check_cancelled()

    def report(self, done: int, total: int | None = None, phase: str | None = None, *,
               approximate: bool = False) -> None:
        """`done` of `total` (None: not known, so no time estimate) in `phase`; `approximate`:
        the total is a count asked before reading ("4,000 of about 20,000")."""
        self.progress.report(done, total, phase, approximate=approximate)

    def report_reading(self, what: str, done: int, total: int | None = None, *,
                       approximate: bool = False) -> None:
        """A pull's count in the card's words: "Reading transactions from QuickBooks Online:
        4,000 of about 20,000" (`what`: "transactions", "customers and suppliers"…). Report
        after each page is stored, with the objects read so far in the phase."""
        self.report(done, total, f"Reading {what} from {self.provider_name}",
                    approximate=approximate)

    def report_sending(self, done: int, total: int, *, approximate: bool = False) -> None:
        """A push's count in the card's words: "Sending entries to Xero: 1,200 of 5,000"
        (`approximate`: "of about 5,000", while the push is still being planned)."""
        self.report(done, total, f"Sending entries to {self.provider_name}",
                    approximate=approximate)

    @property
    def provider_name(self) -> str:
        return self.client.provider.display_name

