"""Where the Integrations pane reads its data: connections, mappings, sync runs, and the pushes
waiting for a fix (`load_refused`, `retry_refused_entries` for the "Waiting for a fix" tab).

`IntegrationsSource` is the small interface the pane needs; `ServicesSource` implements it on the
application services. Every method is called inside a db-lane job, never in the GUI thread.
Tests inject their own source through the pane's constructor (qutebrowser's practice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.gui.integrations.state import (
    CardState,
    LastSync,
    MappingRow,
    MappingState,
    Phase,
    SyncRunRow,
)
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import connections as connection_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import mappings as mapping_service
from bookkeeper_desktop.services import sync_runs as sync_run_service
from bookkeeper_desktop.services.mappings import RemoteAccount
from bookkeeper_desktop.services.not_sent import list_not_sent
from bookkeeper_desktop.services.remote_accounts import PlannedAccount, plan_remote_accounts
from bookkeeper_desktop.services.sync import retry_refused
from bookkeeper_desktop.sync.store import AUTO_CONFIRM_EXACT

#: Key of the per-company, per-provider auto-sync interval (minutes) in the integration
#: settings (`services.connections.integration_settings`); the sync scheduler reads the same.
AUTO_SYNC_KEY = "auto_sync_minutes"


@dataclass(frozen=True)
class IntegrationsSnapshot:
    """Everything the pane shows for one company, read in one job."""

    connections: dict[Provider, Any]
    mappings: dict[Provider, list[MappingRow]]
    sync_runs: list[SyncRunRow]
    #: Auto-sync interval per provider where the company set one (else the app setting).
    auto_sync: dict[Provider, int] = field(default_factory=dict)
    #: Per provider: are exact mapping proposals confirmed on their own? (default yes)
    auto_confirm: dict[Provider, bool] = field(default_factory=dict)
    #: Providers connected push only (`services.connections.PUSH_ONLY_KEY`).
    push_only: frozenset[Provider] = frozenset()


class IntegrationsSource(Protocol):
    def load(self, company_id: int) -> IntegrationsSnapshot: ...

    def set_mapping_state(self, company_id: int, row: MappingRow,
                          state: MappingState) -> Changes: ...

    def set_auto_sync(self, company_id: int, provider: Provider, minutes: int) -> Changes: ...

    def list_remote_accounts(self, company_id: int, provider: Provider
                             ) -> list[RemoteAccount]: ...

    def map_by_hand(self, company_id: int, row: MappingRow, remote: RemoteAccount
                    ) -> Changes: ...

    def plan_remote_accounts(self, company_id: int, provider: Provider,
                             account_ids: Sequence[int] | None) -> list[PlannedAccount]: ...

    def set_auto_confirm(self, company_id: int, provider: Provider, on: bool) -> Changes: ...
    def set_push_only(self, company_id: int, provider: Provider, push_only: bool) -> Changes: ...


class ServicesSource:
    """`IntegrationsSource` on the application services (`gui.context.AppServices`).

    - connections: `services.connections.list_connections`; the per-company auto-sync interval
      from `integration_settings`;
    - mappings: every account of the chart (`services.accounts.list_accounts`) beside its
      mapping (`services.mappings.list_mappings`), unmapped accounts marked, once the provider has
      any mapping at all (before the first sync the editor shows its empty state);
    - sync log: `services.sync_runs.list_runs` (newest 200);
    - Confirm: `mappings.confirm_mappings` (proposals with a warning only once the user
      accepted them); Reject / Clear: `mappings.remove_mapping` (the next sync may propose
      another);
    - Map to…: `mappings.list_remote_accounts` (the picker's list), `mappings.map_by_hand`;
    - Create in …: `remote_accounts.plan_remote_accounts` (the preview; creating itself is
      network work, run by the controller).
    """

    #: How many sync runs the log shows.
    RUN_LIMIT = 200

    def __init__(self, services: Any) -> None:
        self.services = services

    def load(self, company_id: int) -> IntegrationsSnapshot:
        db = self.services.db
        connections: dict[Provider, Any] = {}
        for info in connection_service.list_connections(db, company_id):
            try:
                connections[Provider(str(info.provider))] = info
            except ValueError:
                continue
        chart = [a for a in account_service.list_accounts(db, company_id) if a.active]
        mappings: dict[Provider, list[MappingRow]] = {}
        auto_sync: dict[Provider, int] = {}
        auto_confirm: dict[Provider, bool] = {}
        push_only: set[Provider] = set()
        for provider in Provider:
            mappings[provider] = _mapping_rows(
                provider, chart, mapping_service.list_mappings(db, company_id, provider.value))
            settings = connection_service.integration_settings(db, company_id, provider.value)
            raw = settings.get(AUTO_SYNC_KEY)
            if raw is not None and str(raw).isdigit():
                auto_sync[provider] = int(raw)
            auto_confirm[provider] = str(settings.get(AUTO_CONFIRM_EXACT, "1")).strip().lower() \
                not in ("0", "false", "no", "off")
            if settings.get(connection_service.PUSH_ONLY_KEY) == "1":
                push_only.add(provider)
        runs = [SyncRunRow.from_record(run) for run in
                sync_run_service.list_runs(db, company_id, limit=self.RUN_LIMIT)]
        return IntegrationsSnapshot(connections, mappings, runs, auto_sync, auto_confirm,
                                    frozenset(push_only))

    def set_mapping_state(self, company_id: int, row: MappingRow, state: MappingState,
                          *, accept_warnings: bool = False) -> Changes:
        db = self.services.db
        if state is MappingState.CONFIRMED:
            mapping_service.confirm_mappings(db, company_id, row.provider, [row.account_id],
                                             accept_warnings=accept_warnings)
        elif state is MappingState.REJECTED:
            mapping_service.remove_mapping(db, company_id, row.provider, row.account_id)
        else:
            raise ConfigurationError(f"A mapping cannot be set to {state.value} by hand.")
        return Changes(mappings=True)

    def set_auto_sync(self, company_id: int, provider: Provider, minutes: int) -> Changes:
        connection_service.set_integration_setting(
            self.services.db, company_id, provider.value, AUTO_SYNC_KEY, str(max(0, minutes)))
        return Changes(connections=True)

    def set_auto_confirm(self, company_id: int, provider: Provider, on: bool) -> Changes:
        connection_service.set_integration_setting(
            self.services.db, company_id, provider.value, AUTO_CONFIRM_EXACT, "1" if on else "0")
        return Changes(mappings=True)

    def list_remote_accounts(self, company_id: int, provider: Provider
                             ) -> list[RemoteAccount]:
        return mapping_service.list_remote_accounts(self.services.db, company_id,
                                                    provider.value)

    def map_by_hand(self, company_id: int, row: MappingRow, remote: RemoteAccount
                    ) -> Changes:
        mapping_service.map_by_hand(self.services.db, company_id, row.provider,
                                    row.account_id, remote)
        return Changes(mappings=True)

    def plan_remote_accounts(self, company_id: int, provider: Provider,
                             account_ids: Sequence[int] | None) -> list[PlannedAccount]:
        return plan_remote_accounts(self.services.db, company_id, provider.value, account_ids)
    def set_push_only(self, company_id: int, provider: Provider, push_only: bool) -> Changes:
        connection_service.set_push_only(self.services.db, company_id, provider.value, push_only)
        return Changes(connections=True)


def _mapping_rows(provider: Provider, chart: Sequence[Account],
                  stored: Sequence[Any]) -> list[MappingRow]:
    """Our accounts beside their mappings; [] while the provider has no mapping at all."""
    if not stored:
        return []
    by_account = {m.account_id: m for m in stored}
    rows: list[MappingRow] = []
    for account in chart:
        if account.id is None:
            continue
        mapping = by_account.get(account.id)
        rows.append(MappingRow(
            mapping_id=getattr(mapping, "id", None),
            account_id=account.id,
            account_code=account.code or "",
            account_name=account.full_name,
            account_type=account.type.label,
            remote_id=str(getattr(mapping, "remote_id", "") or ""),
            remote_code=str(getattr(mapping, "remote_code", "") or ""),
            remote_name=str(getattr(mapping, "remote_name", "") or ""),
            state=MappingState(str(mapping.state)) if mapping is not None
            else MappingState.UNMAPPED,
            reason=str(getattr(mapping, "proposal_reason", "") or ""),
            provider=provider.value,
            warning=str(getattr(mapping, "warning", "") or ""),
        ))
    return rows


def card_state_for(
    provider: Provider, connection: Any | None, runs: Sequence[SyncRunRow],
    auto_sync_minutes: int, *, push_only: bool = False,
) -> CardState:
    """The card a stored connection (a `storage.records.ConnectionInfo`) and its runs call for."""
    if connection is None or str(getattr(connection, "status", "")) == "disconnected":
        return CardState.not_connected(provider)
    last = next((run for run in runs if run.provider == provider.value), None)
    last_sync = None
    if last is not None:
        ok = last.status not in ("failed", "error")
        summary = last.message or f"{last.pulled:,} pulled, {last.pushed:,} pushed" + (
            f", {last.conflicts:,} conflicts" if last.conflicts else "")
        last_sync = LastSync(last.finished_at or last.started_at, ok, summary)
    else:
        at = getattr(connection, "last_sync_at", None)
        if isinstance(at, dt.datetime):
            last_sync = LastSync(at, True, "completed")
    state = CardState.connected(
        provider, str(getattr(connection, "remote_company_name", "") or "your company"),
        last_sync=last_sync, auto_sync_minutes=auto_sync_minutes, push_only=push_only,
    )
    if str(getattr(connection, "status", "")) == "needs_attention":
        reason = str(getattr(connection, "status_reason", "") or
                     "Access to this company has expired or was revoked.")
        return state.needs_reconnect(reason)
    return state


#: Phases a flow sets that a database refresh must not overwrite (a flow in progress, or its
#: outcome the user has not acted on yet).
HELD_PHASES = frozenset({Phase.WAITING_FOR_BROWSER, Phase.CHOOSE_TENANT, Phase.SYNCING,
                         Phase.ERROR, Phase.NEEDS_RECONNECT, Phase.NEEDS_SETTINGS})


# -- pushes waiting for a fix (the "Waiting for a fix" tab) ---------------------------------------

@dataclass(frozen=True)
class RefusedRow:
    """A push QuickBooks Online or Xero refused (a closed period, an archived or inactive
    account, a validation fault) or not sent for another reason (`services.not_sent`), with the
    entry's number, date and amount beside it.

    `message` is the whole sentence the sync wrote (`sync.push.refusal_message`: which entry,
    the provider's reason, what to do); `refused_at` is when the outbox row took that state;
    `edited` says the entry was saved here after that (it stays listed until the next sync,
    which sends it again when what it sends changed)."""

    outbox_id: int
    provider: Provider
    entry_id: int
    operation: str
    number: str
    date: dt.date | None
    amount: Decimal | None
    currency: str
    message: str
    attempts: int
    refused_at: dt.datetime | None
    edited: bool = False
    #: Why it is not sent, in the summary's words ("account not mapped", "refused by Xero", …:
    #: `services.not_sent`), and the one action that fixes it (a `FixAction` value).
    reason: str = "refused"
    why: str = ""
    action: str = "retry"
    action_label: str = "Send again"


def load_refused(db: Any, company_id: int) -> list[RefusedRow]:
    """Read in a db-lane job: every entry not sent (`services.not_sent.list_not_sent`: not
    mapped, stopped before sending, refused, in conflict, waiting to retry; both providers,
    oldest first), with its entry's summary (`services.entries.summaries_by_id`, one query per
    500 ids)."""
    pushes = [p for p in list_not_sent(db, company_id) if p.provider in _PROVIDERS]
    summaries = entry_service.summaries_by_id(db, company_id, [p.entry_id for p in pushes])
    rows: list[RefusedRow] = []
    for push in pushes:
        summary = summaries.get(push.entry_id)
        rows.append(RefusedRow(
            outbox_id=push.outbox_id, provider=Provider(push.provider), entry_id=push.entry_id,
            operation=push.operation,
            number=summary.number if summary is not None else "",
            date=summary.date if summary is not None else None,
            amount=summary.total if summary is not None else None,
            currency=summary.currency if summary is not None else "",
            message=push.message, attempts=push.attempts,
            refused_at=push.since,
            edited=_after(summary.updated_at if summary is not None else None, push.since),
            reason=push.reason, why=push.reason_text, action=push.action.value,
            action_label=push.action.label))
    return rows


def _after(edited_at: dt.datetime | None, refused_at: dt.datetime | None) -> bool:
    return edited_at is not None and refused_at is not None and edited_at > refused_at


def retry_refused_entries(db: Any, company_id: int,
                          chosen: Mapping[Provider, Sequence[int]]) -> dict[Provider, int]:
    """Send these refused entries again at the next sync (`services.sync.retry_refused`, one
    call per provider, each retry in the audit log). Only the ids asked for: an entry refused
    after the user looked is not retried behind their back. Returns how many per provider will
    go again (fewer than asked when some were sent or settled meanwhile)."""
    return {provider: retry_refused(db, company_id, provider.value, list(ids))
            for provider, ids in chosen.items() if ids}


_PROVIDERS = frozenset(p.value for p in Provider)
