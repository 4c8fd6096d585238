"""What undoing a sync run will do, item by item (`UndoPlan`), and what it did (`UndoResult`):
plain values without any network code, so that the GUI's preview can show them without loading
the providers' clients at start-up (`sync.undo` builds and carries them out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.core.kinds import Kind
from bookkeeper_desktop.providers.config import Provider

DELETE, VOID, REVERT = "delete", "void", "revert"


@dataclass(frozen=True)
class UndoItem:
    """One push of the run and what undoing it does.

    Attributes:
        action: "delete", "void", "revert", or "" when it cannot be undone (`why` says why).
        kind_name: the kind as the provider calls it ("Spend Money", "Journal Entry").
        before: for "revert", the remote object as it was before the run.
        left_version: the object's version as the run left it ("" unknown).
    """

    outbox_id: int
    entry_id: int
    entry_label: str
    kind: str
    remote_id: str
    action: str
    why: str = ""
    kind_name: str = ""
    date: dt.date | None = None
    number: str = ""
    amount: Decimal | None = None
    before: Mapping[str, Any] | None = None
    left_version: str = ""
    #: How often the provider refused to take it back: part of the request id (a refused
    #: request sent again with the same id would get the same answer replayed).
    refusals: int = 0

    def with_problem(self, why: str) -> UndoItem:
        return UndoItem(self.outbox_id, self.entry_id, self.entry_label, self.kind,
                        self.remote_id, "", why, self.kind_name, self.date, self.number,
                        self.amount, self.before, self.left_version, self.refusals)


@dataclass(frozen=True)
class UndoPlan:
    run_id: int
    provider: str
    items: tuple[UndoItem, ...]
    #: Whether the provider was asked for each object's current version (`plan_undo(client=)`).
    checked_remotely: bool = False

    @property
    def provider_name(self) -> str:
        return Provider(self.provider).display_name

    @property
    def doable(self) -> list[UndoItem]:
        return [i for i in self.items if i.action]

    @property
    def not_doable(self) -> list[UndoItem]:
        return [i for i in self.items if not i.action]

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    def describe(self) -> list[str]:
        """The preview, a line an item: "JE-7 (journal entry): delete in QuickBooks Online"."""
        return [f"{i.entry_label} ({Kind(i.kind).label}): "
                + (f"{_ACTION_WORDS[i.action]} in {self.provider_name}" if i.action
                   else f"not undone — {i.why}")
                for i in self.items]


_ACTION_WORDS = {DELETE: "delete", VOID: "void",
                 REVERT: "send back the version from before this sync"}


@dataclass
class UndoResult:
    run_id: int
    provider: str = ""
    undone: int = 0
    reverted: int = 0
    failed: list[str] = field(default_factory=list)
    not_undone: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line for the card, status bar and sync log: "Undone: 12 entries taken back from
        Xero and 2 sent back as they were before; 2 could not be, see the sync log". Taken back
        (deleted or voided) and sent back (an update reverted) are counted apart: `undone`
        counts both."""
        name = Provider(self.provider).display_name
        taken = self.undone - self.reverted
        done = []
        if taken or not self.reverted:
            done.append(f"{_entries(taken)} taken back from {name}")
        if self.reverted:
            done.append(_entries(self.reverted) + ("" if taken else f" in {name}")
                        + " sent back "
                        + ("as it was before" if self.reverted == 1 else "as they were before"))
        parts = ["Undone: " + " and ".join(done)]
        left = len(self.failed) + len(self.not_undone)
        if left:
            parts.append(f"{left} could not be, see the sync log")
        return "; ".join(parts)


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"
