"""The state of one provider card, as a pure value (no Qt), and the rows the pane's tables show.

The connect flow (OAuth, PKCE, loopback listener) and the sync engine drive a card only by handing
it a new `CardState`; the card never decides anything itself. That keeps every state testable
and lets the other flows be wired later without touching the widget (PRODUCT.md §2–3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from bookkeeper_desktop.core.errors import BookkeeperError, ReconnectNeeded, SettingsNeeded
from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services.sync_runs import UNDO

#: What the card and the status bar say while a provider cannot be reached (issue #6).
OFFLINE_TEXT = "Offline — auto-sync paused"


class Phase(Enum):
    NOT_CONNECTED = "not_connected"
    WAITING_FOR_BROWSER = "waiting_for_browser"
    CHOOSE_TENANT = "choose_tenant"
    CONNECTED = "connected"
    SYNCING = "syncing"
    NEEDS_RECONNECT = "needs_reconnect"
    #: A setting the user can fill in is missing (no client id...): Open Settings.
    NEEDS_SETTINGS = "needs_settings"
    ERROR = "error"


@dataclass(frozen=True)
class Tenant:
    """One Xero organisation offered by a consent (GET /connections)."""

    tenant_id: str
    name: str


@dataclass(frozen=True)
class LastSync:
    """The card's last sync. `result` is the engine's `SyncResult` when the sync ran here; the
    auto-sync scheduler reads it to back off while idle or throttled."""

    at: dt.datetime
    ok: bool
    summary: str
    result: Any = field(default=None, compare=False)

    @property
    def cancelled(self) -> bool:
        """The run was cancelled (its summary says so and what it did before): not a failure."""
        return str(getattr(getattr(self.result, "status", None), "value", "")) == "cancelled"


@dataclass(frozen=True)
class CardState:
    """Everything one provider card shows. Build with the class methods; never mutate."""

    provider: Provider
    phase: Phase = Phase.NOT_CONNECTED
    company_name: str = ""
    last_sync: LastSync | None = None
    auto_sync_minutes: int = 15
    auth_url: str = ""
    progress: ProgressSnapshot | None = None
    reason: str = ""
    hint: str = ""
    tenants: tuple[Tenant, ...] = field(default=())
    #: Connected push only: our entries are sent there, nothing is pulled from it.
    push_only: bool = False
    #: Syncing, and the user pressed Cancel: the run is stopping (at most a second).
    cancelling: bool = False

    # -- constructors, one per phase -------------------------------------------------------------
    @classmethod
    def not_connected(cls, provider: Provider) -> CardState:
        return cls(provider)

    @classmethod
    def waiting_for_browser(cls, provider: Provider, auth_url: str) -> CardState:
        return cls(provider, Phase.WAITING_FOR_BROWSER, auth_url=auth_url)

    @classmethod
    def choose_tenant(cls, provider: Provider, tenants: Sequence[Tenant]) -> CardState:
        return cls(provider, Phase.CHOOSE_TENANT, tenants=tuple(tenants))

    @classmethod
    def connected(
        cls, provider: Provider, company_name: str, *, last_sync: LastSync | None = None,
        auto_sync_minutes: int = 15, push_only: bool = False,
    ) -> CardState:
        return cls(provider, Phase.CONNECTED, company_name=company_name, last_sync=last_sync,
                   auto_sync_minutes=auto_sync_minutes, push_only=push_only)

    def syncing(self, progress: ProgressSnapshot | None = None) -> CardState:
        """This (connected) card while a sync runs."""
        return replace(self, phase=Phase.SYNCING,
                       progress=progress or ProgressSnapshot("Starting", 0, None))

    def sync_cancelling(self) -> CardState:
        """This syncing card after Cancel, until the run has stopped."""
        return replace(self, cancelling=True)

    def sync_finished(self, last_sync: LastSync) -> CardState:
        return replace(self, phase=Phase.CONNECTED, progress=None, last_sync=last_sync,
                       cancelling=False)

    def sync_stopped(self) -> CardState:
        """Back to connected after a sync cancelled before it ran (the last sync shown is
        unchanged)."""
        return replace(self, phase=Phase.CONNECTED, progress=None, cancelling=False)

    def needs_reconnect(self, reason: str) -> CardState:
        return replace(self, phase=Phase.NEEDS_RECONNECT, reason=reason, progress=None)

    def needs_settings(self, reason: str, hint: str = "") -> CardState:
        return replace(self, phase=Phase.NEEDS_SETTINGS, reason=reason, hint=hint,
                       progress=None)

    def failed(self, reason: str, hint: str = "") -> CardState:
        return replace(self, phase=Phase.ERROR, reason=reason, hint=hint, progress=None)

    def after_error(self, error: BaseException) -> CardState:
        """The state a failed connect or sync leaves the card in."""
        if isinstance(error, ReconnectNeeded):
            return self.needs_reconnect(error.message)
        if isinstance(error, SettingsNeeded):
            return self.needs_settings(error.message, error.hint or "")
        if isinstance(error, BookkeeperError):
            return self.failed(error.message, error.hint or "")
        return self.failed(f"Unexpected problem: {error}",
                           "Try again; if it keeps failing, send the log to support.")

    # -- what the card says ----------------------------------------------------------------------
    @property
    def headline(self) -> str:
        p = self.provider
        if self.phase is Phase.WAITING_FOR_BROWSER and not self.auth_url:
            return f"Connecting to {p.display_name}…"
        return {
            Phase.NOT_CONNECTED: "Not connected",
            Phase.WAITING_FOR_BROWSER: "Waiting for your browser…",
            Phase.CHOOSE_TENANT: f"Choose the {p.remote_company_word} to keep in step",
            Phase.CONNECTED: f"Connected to {self.company_name}"
                             + (" — push only" if self.push_only else ""),
            Phase.SYNCING: f"Syncing with {self.company_name}" if self.company_name else "Syncing",
            Phase.NEEDS_RECONNECT: "Reconnect needed",
            Phase.NEEDS_SETTINGS: "Settings needed",
            Phase.ERROR: "Something went wrong",
        }[self.phase]

    @property
    def detail(self) -> str:
        p = self.provider
        if self.phase is Phase.NOT_CONNECTED:
            return (f"Connect to keep these books in step with your {p.display_name} "
                    f"{p.remote_company_word}. Your browser opens {p.display_name}'s sign-in page.")
        if self.phase is Phase.WAITING_FOR_BROWSER and not self.auth_url:
            return "One moment; Cancel stops it and nothing is saved."
        if self.phase is Phase.WAITING_FOR_BROWSER:
            return ("Sign in and allow access in the browser window that opened. If no browser "
                    "opened, copy this address into one:")
        if self.phase is Phase.CHOOSE_TENANT:
            return (f"Your consent covers several {p.remote_company_word}s. Pick the one these "
                    "books belong to.")
        if self.phase in (Phase.CONNECTED, Phase.SYNCING):
            if self.push_only:
                return (f"Push only: your entries are sent to {p.display_name}; nothing is "
                        f"pulled from it. {self.last_sync_text}")
            return self.last_sync_text
        if self.phase is Phase.NEEDS_RECONNECT:
            return (f"{self.reason} Press Reconnect and sign in to {p.display_name} again; nothing "
                    "was lost.").strip()
        return " ".join(part for part in (self.reason, self.hint) if part)

    def detail_while(self, *, offline: bool) -> str:
        """`detail`, led by `OFFLINE_TEXT` while the provider is offline (`gui.integrations.online`)
        and the card is connected or syncing: what it last did stays visible below."""
        if not offline or self.phase not in (Phase.CONNECTED, Phase.SYNCING):
            return self.detail
        paused = OFFLINE_TEXT if self.auto_sync_minutes > 0 else "Offline"
        return f"{paused}. {self.detail}"

    @property
    def last_sync_text(self) -> str:
        if self.last_sync is None:
            return "Not synced yet."
        when = self.last_sync.at.astimezone().strftime("%d %b %Y %H:%M")
        outcome = "" if self.last_sync.ok or self.last_sync.cancelled else "failed: "
        return f"Last sync {when} — {outcome}{self.last_sync.summary}"

    @property
    def progress_text(self) -> str:
        """The counts of the phase running ("Sending entries: 1,200 of 5,000")."""
        if self.cancelling:
            return "Cancelling… what was sent stays sent; the rest goes at the next sync."
        return "" if self.progress is None else self.progress.counts_text

    @property
    def time_left_text(self) -> str:
        """"About 2 minutes left", or why there is no estimate; "" while cancelling."""
        if self.cancelling or self.progress is None:
            return ""
        left = self.progress.time_left_text
        return left[:1].upper() + left[1:]


# -- rows of the mapping editor and the sync log ------------------------------------------------

class MappingState(Enum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    UNMAPPED = "unmapped"
    #: Two of our accounts claim the same remote account, or the remote one changed type.
    CONFLICT = "conflict"


@dataclass(frozen=True)
class MappingRow:
    """One line of the mapping editor: our account beside the remote one."""

    mapping_id: int | None
    account_id: int
    account_code: str
    account_name: str
    account_type: str
    remote_id: str
    remote_code: str
    remote_name: str
    state: MappingState
    reason: str = ""
    #: "qbo" or "xero".
    provider: str = ""
    #: What to look at before confirming ("type differs: …", "names differ"); "" when exact.
    warning: str = ""

    @property
    def has_remote(self) -> bool:
        return bool(self.remote_id or self.remote_code)

    @classmethod
    def from_record(cls, record: Any) -> MappingRow:
        """Adapt whatever the services return (dataclass or row) by attribute name."""
        raw_state = str(_attr(record, "state", "proposed") or "proposed")
        try:
            state = MappingState(raw_state)
        except ValueError:
            state = MappingState.PROPOSED
        return cls(
            mapping_id=_attr(record, "mapping_id", _attr(record, "id", None)),
            account_id=int(_attr(record, "account_id", 0) or 0),
            account_code=str(_attr(record, "account_code", "") or ""),
            account_name=str(_attr(record, "account_name", "")
                             or _attr(record, "account_full_name", "") or ""),
            account_type=str(_attr(record, "account_type", "") or ""),
            remote_id=str(_attr(record, "remote_id", "") or ""),
            remote_code=str(_attr(record, "remote_code", "") or ""),
            remote_name=str(_attr(record, "remote_name", "") or ""),
            state=state,
            reason=str(_attr(record, "proposal_reason", "") or _attr(record, "reason", "") or ""),
            provider=str(_attr(record, "provider", "") or ""),
            warning=str(_attr(record, "warning", "") or ""),
        )


@dataclass(frozen=True)
class SyncRunRow:
    """One line of the sync log."""

    run_id: int
    provider: str
    direction: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pulled: int
    pushed: int
    conflicts: int
    errors: int
    message: str
    #: "undone" or "partly undone" once "Undo this sync" took its pushes back ("" before).
    undone: str = ""
    #: The lines an undo could not take back, and why (an undo's own line in the log).
    notes: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        """The status in words, as the run's summary says it ("needs attention")."""
        return "needs attention" if self.status == "attention" else self.status

    @property
    def undoable(self) -> bool:
        """Whether "Undo this sync…" applies: a finished sync that created or changed something
        at the provider and is not undone yet (a partly undone one can be finished)."""
        return (self.direction != UNDO and self.pushed > 0 and self.status != "running"
                and self.undone != "undone")

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    @classmethod
    def from_record(cls, record: Any) -> SyncRunRow:
        return cls(
            run_id=int(_attr(record, "id", 0) or _attr(record, "run_id", 0) or 0),
            provider=str(_attr(record, "provider", "")),
            direction=str(_attr(record, "direction", "")),
            status=str(_attr(record, "status", "")),
            started_at=_attr(record, "started_at", None) or dt.datetime.now(dt.UTC),
            finished_at=_attr(record, "finished_at", None),
            pulled=int(_attr(record, "pulled", 0) or 0),
            pushed=int(_attr(record, "pushed", 0) or 0),
            conflicts=int(_attr(record, "conflicts", 0) or 0),
            errors=int(_attr(record, "error_count", 0) or _attr(record, "errors", 0) or 0),
            message=str(_attr(record, "message", "") or ""),
            undone=_undone(_attr(record, "details", None) or {}),
            notes=tuple(str(line) for key in ("failed", "not_undone")
                        for line in (_attr(record, "details", None) or {}).get(key) or []
                        if str(_attr(record, "direction", "")) == UNDO),
        )


def _undone(details: Any) -> str:
    if not isinstance(details, dict):
        return ""
    if details.get("undone_at"):
        return "undone"
    return "partly undone" if details.get("undo_partly_at") else ""


def _attr(record: Any, name: str, default: Any) -> Any:
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)
