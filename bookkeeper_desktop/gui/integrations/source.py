"""Where the Integrations pane reads its data: connections, mappings, sync runs.

`IntegrationsSource` is the small interface the pane needs; `ServicesSource` implements it on the
application services. Every method is called inside a db-lane job, never in the GUI thread.
Tests inject their own source through the pane's constructor (qutebrowser's practice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.gui.integrations.state import (
    CardState,
    LastSync,
    MappingRow,
    MappingState,
    Phase,
    Provider,
    SyncRunRow,
)

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


class IntegrationsSource(Protocol):
    def load(self, company_id: int) -> IntegrationsSnapshot: ...

    def set_mapping_state(self, company_id: int, row: MappingRow,
                          state: MappingState) -> Changes: ...

    def set_auto_sync(self, company_id: int, provider: Provider, minutes: int) -> Changes: ...


class ServicesSource:
    """`IntegrationsSource` on the application services (`gui.context.AppServices`).

    Reads connections with `services.connections.list_connections(db, company_id)`; mappings
    with `list_account_mappings(db, company_id, provider)` and the sync log with
    `list_sync_runs(db, company_id)` wherever the sync helper puts them under
    `bookkeeper_desktop.services`. A read that does not exist yet returns nothing, so the pane
    shows its empty states rather than failing to start."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def _function(self, *names: str) -> Any:
        lookup = getattr(self.services, "function", None)
        return lookup(*names) if callable(lookup) else None

    def load(self, company_id: int) -> IntegrationsSnapshot:
        db = self.services.db
        connections: dict[Provider, Any] = {}
        list_connections = self._function("list_connections")
        if list_connections is not None:
            for info in list_connections(db, company_id):
                try:
                    connections[Provider(str(getattr(info, "provider", "")))] = info
                except ValueError:
                    continue
        mappings: dict[Provider, list[MappingRow]] = {p: [] for p in Provider}
        list_mappings = self._function("list_account_mappings", "list_mappings")
        if list_mappings is not None:
            for provider in Provider:
                mappings[provider] = [MappingRow.from_record(r)
                                      for r in list_mappings(db, company_id, provider.value)]
        runs: list[SyncRunRow] = []
        list_runs = self._function("list_sync_runs", "sync_history")
        if list_runs is not None:
            runs = [SyncRunRow.from_record(r) for r in list_runs(db, company_id)]
        auto_sync: dict[Provider, int] = {}
        read_settings = self._function("integration_settings")
        if read_settings is not None:
            for provider in Provider:
                raw = read_settings(db, company_id, provider.value).get(AUTO_SYNC_KEY)
                if raw is not None and str(raw).isdigit():
                    auto_sync[provider] = int(raw)
        return IntegrationsSnapshot(connections, mappings, runs, auto_sync)

    def set_auto_sync(self, company_id: int, provider: Provider, minutes: int) -> Changes:
        write = self._function("set_integration_setting")
        if write is None:
            raise ConfigurationError("The auto-sync interval cannot be saved in this version.")
        write(self.services.db, company_id, provider.value, AUTO_SYNC_KEY, str(max(0, minutes)))
        return Changes(connections=True)

    def set_mapping_state(self, company_id: int, row: MappingRow,
                          state: MappingState) -> Changes:
        method = self._function("set_mapping_state", "set_account_mapping_state")
        if method is None or row.mapping_id is None:
            raise ConfigurationError("This mapping cannot be changed yet.",
                                     hint="Sync first so the remote accounts are known.")
        result = method(self.services.db, company_id, row.mapping_id, state.value)
        return result if isinstance(result, Changes) else Changes(mappings=True)


def card_state_for(
    provider: Provider, connection: Any | None, runs: Sequence[SyncRunRow],
    auto_sync_minutes: int,
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
        last_sync=last_sync, auto_sync_minutes=auto_sync_minutes,
    )
    if str(getattr(connection, "status", "")) == "needs_attention":
        reason = str(getattr(connection, "status_reason", "") or
                     "Access to this company has expired or was revoked.")
        return state.needs_reconnect(reason)
    return state


#: Phases a flow sets that a database refresh must not overwrite (a flow in progress, or its
#: outcome the user has not acted on yet).
HELD_PHASES = frozenset({Phase.WAITING_FOR_BROWSER, Phase.CHOOSE_TENANT, Phase.SYNCING,
                         Phase.ERROR, Phase.NEEDS_RECONNECT})
