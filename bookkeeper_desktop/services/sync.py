"""Sync operations the command line and the GUI call (no Qt).

    result = run_sync(db, company_id, "qbo", pull=True, push=True, progress=progress)
    result.summary     # one line for the card / the CLI
    list_conflicts(db, company_id) -> list[Conflict]
    resolve_conflict(db, company_id, conflict_id, keep="ours" | "theirs") -> JournalEntry
    list_remote_records(db, company_id, provider, *, unposted_only=False) -> list[RemoteRecord]
    list_refused(db, company_id, provider=None) -> list[RefusedPush]
    retry_refused(db, company_id, provider, entry_ids=None) -> int

Refused pushes (the provider turned an entry down: a closed period, an inactive account, …) are
not sent again at each sync (`sync.push`): they wait until the entry or a mapping of its accounts
changes, or until the user asks for a retry here (`retry_refused`: the next sync sends them once
more, e.g. after the period was reopened in QuickBooks Online).

`run_sync` opens the company's connection (`open_client`: configuration from the environment and
Settings, refresh token from the OS keychain, metadata from the `connections` table, one
`TokenManager` per company and provider for the whole process) and runs `sync.engine`. It never
raises for what a sync meets (those end in the result and the sync log); it raises only when
there is nothing to sync with (`NotFound`: not connected; `ConfigurationError`).

Conflicts (an entry changed here and at the provider, or QBO's stale SyncToken) wait in the
outbox as state "conflict" with the provider's copy in `remote_objects`. Keep ours: the next push
sends our entry over theirs, with their current version (SyncToken). Take theirs: our entry gets
their content. Either way the user decided; nothing is overwritten silently.

`BOOKKEEPER_SYNC_TIME_SCALE` (tests and benchmarks only) shrinks the rate-limit windows to match
sandboxes started with the same `time_scale`.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.errors import NotFound, ValidationError
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider, load_config, parse_provider
from bookkeeper_desktop.providers.connections import ConnectionState
from bookkeeper_desktop.providers.http import ApiClient
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.tokens import TokenManager, TokenManagers
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.settings import Settings
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import OutboxRow, RemoteObjectRow
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from bookkeeper_desktop.sync.engine import SyncResult, run_sync_with
from bookkeeper_desktop.sync.pull import NOT_TRANSACTIONS
from bookkeeper_desktop.sync.pull_store import theirs
from bookkeeper_desktop.sync.remote_entries import qbo_entry, xero_entry
from bookkeeper_desktop.sync.store import OutboxState, fingerprint

TIME_SCALE_ENV = "BOOKKEEPER_SYNC_TIME_SCALE"

__all__ = ["Conflict", "RefusedPush", "RemoteRecord", "SyncResult", "list_conflicts",
           "list_refused", "list_remote_records", "open_client", "resolve_conflict",
           "retry_refused", "run_sync"]

_managers: dict[tuple[str, int, Provider], TokenManager] = {}
_managers_lock = threading.Lock()


def _time_scale(env: Mapping[str, str]) -> float:
    try:
        return float(env.get(TIME_SCALE_ENV, "1") or "1")
    except ValueError:
        return 1.0


def open_client(db: Database, company_id: int, provider: str | Provider, *,
                keychain: Keychain | None = None, env: Mapping[str, str] | None = None,
                time_scale: float | None = None, settings: Settings | None = None,
                managers: TokenManagers | None = None, parallel: int | None = None
                ) -> QboClient | XeroClient:
    """An API client for the company's connection to `provider`. `managers`: the process's
    `TokenManagers` when the caller has one (the GUI), so that the sync and everything else
    share one single-flight refresh per connection; otherwise one is kept here per database,
    company and provider. `parallel`: requests kept in flight at once (`ProviderClient`;
    None: the provider's concurrency limit, 1: one at a time, as the benchmarks compare)."""
    which = parse_provider(str(provider))
    environment = os.environ if env is None else env
    store_ = DatabaseConnectionStore(db)
    connection = store_.get(company_id, which)
    if connection is None or connection.status is ConnectionState.DISCONNECTED:
        raise NotFound(f"This company is not connected to {which.display_name}.",
                       hint=f"Connect it in Integrations (or `bookkeeper connect {which.value}`).")
    chain = keychain or Keychain()
    config = load_config(which, settings, env=environment, secret_lookup=chain.client_secret)
    if managers is not None:
        manager = managers.get(company_id, which)
    else:
        with _managers_lock:
            key = (db.url, company_id, which)
            cached = _managers.get(key)
            if cached is None or (keychain is not None and cached.keychain is not chain):
                cached = TokenManager(company_id, config, keychain=chain, store=store_)
                _managers[key] = cached
            manager = cached
    base = config.endpoints.api_base
    scale = time_scale if time_scale is not None else _time_scale(environment)
    if which is Provider.QBO:
        api = ApiClient(manager, base_url=f"{base}/company/{connection.tenant_id}")
        return QboClient(api, connection.tenant_id, time_scale=scale, parallel=parallel)
    api = ApiClient(manager, base_url=base, tenant_id=connection.tenant_id)
    return XeroClient(api, connection.tenant_id, time_scale=scale, parallel=parallel)


def run_sync(db: Database, company_id: int, provider: str, *, pull: bool = True,
             push: bool = True, progress: Progress | None = None,
             client: QboClient | XeroClient | None = None,
             settings: Settings | None = None, env: Mapping[str, str] | None = None,
             keychain: Keychain | None = None, managers: TokenManagers | None = None
             ) -> SyncResult:
    """One sync (see the module docstring). `client` overrides the connection (tests)."""
    if not (pull or push):
        raise ValidationError("A sync needs to pull, push or both.")
    own = client is None
    # `settings`: the app's Settings (client ids, redirect, base URLs); the CLI uses defaults and
    # the environment.
    api_client = client or open_client(db, company_id, provider, settings=settings, env=env,
                                       keychain=keychain, managers=managers)
    try:
        return run_sync_with(db, company_id, api_client, pull=pull, push=push,
                             progress=progress)
    finally:
        if own:
            api_client.api.close()


@dataclass(frozen=True)
class Conflict:
    """An entry changed on both sides. `ours` is our entry, `theirs` the provider's copy as it
    came (JSON), `theirs_entry` that copy as an entry when its accounts are mapped."""

    id: int
    provider: str
    entry_id: int
    message: str
    ours: JournalEntry | None
    theirs: dict[str, Any] | None
    theirs_entry: JournalEntry | None


def list_conflicts(db: Database, company_id: int, provider: str | None = None
                   ) -> list[Conflict]:
    found: list[Conflict] = []
    with db.read_session() as session:
        query = select(OutboxRow).where(OutboxRow.company_id == company_id,
                                        OutboxRow.state == OutboxState.CONFLICT)
        if provider is not None:
            query = query.where(OutboxRow.provider == provider)
        for row in session.execute(query.order_by(OutboxRow.id)).scalars():
            if row.entry_id is None:
                continue
            ours = store.load_entry(session, company_id, row.entry_id)
            remote = store.remote_for_entry(session, company_id, row.provider, row.entry_id)
            theirs = ({k: v for k, v in remote.payload.items() if k != store.META}
                      if remote is not None else None)
            accounts = store.remote_to_ours(store.mapped_accounts(
                session, company_id, row.provider, confirmed_only=False))
            entry = None
            if remote is not None and theirs is not None:
                entry = (qbo_entry if row.provider == "qbo" else xero_entry)(
                    remote.object_type, theirs, accounts)[0]
            found.append(Conflict(row.id, row.provider, row.entry_id, row.last_error, ours,
                                  theirs, entry))
    return found


def resolve_conflict(db: Database, company_id: int, conflict_id: int, *, keep: str,
                     actor: str | None = None) -> JournalEntry:
    """Settle a conflict: `keep="ours"` (pushed over theirs at the next sync) or `"theirs"`
    (our entry takes the provider's content now). Returns our entry as it now stands."""
    if keep not in ("ours", "theirs"):
        raise ValidationError("Choose which side to keep: ours or theirs.")
    with db.session() as session:
        row = session.get(OutboxRow, conflict_id)
        if row is None or row.company_id != company_id or row.state != OutboxState.CONFLICT \
                or row.entry_id is None:
            raise NotFound(f"There is no open conflict #{conflict_id}.")
        remote = store.remote_for_entry(session, company_id, row.provider, row.entry_id)
        entry_row = repositories.entry_row(session, company_id, row.entry_id)
        current = store.load_entry(session, company_id, row.entry_id)
        if remote is None or entry_row is None or current is None:
            raise NotFound("The entry or the provider's copy of it is gone.")
        payload = {k: v for k, v in remote.payload.items() if k != store.META}
        if keep == "ours":
            # Their current version, so the next push updates rather than hitting the stale
            # SyncToken again; our content stays and differs from `local`, so it is pushed.
            store.set_remote_ref(entry_row, row.provider, remote.remote_id, remote.version)
            result = current
        else:
            accounts = store.remote_to_ours(store.mapped_accounts(
                session, company_id, row.provider, confirmed_only=False))
            converted, reason = (qbo_entry if row.provider == "qbo" else xero_entry)(
                remote.object_type, payload, accounts)
            if converted is None:
                raise ValidationError("Their version cannot be taken into the ledger.", [reason],
                                      hint="Map the accounts it uses, then resolve again.")
            result = theirs(current, converted)
            repositories.replace_entry(session, entry_row, result)
            store.set_remote_ref(entry_row, row.provider, remote.remote_id, remote.version)
            meta = store.meta(remote)
            meta["local"] = fingerprint(result)
            remote.payload = {**payload, store.META: meta}
        row.state = OutboxState.DONE
        row.last_error = f"Resolved: kept {keep}."
        repositories.add_audit(session, company_id, actor or default_actor(),
                               "resolve_conflict", obj=("entry", row.entry_id),
                               details={"provider": row.provider, "kept": keep})
        return result


@dataclass(frozen=True)
class RemoteRecord:
    """A pulled object as kept in `remote_objects`: in the ledger (`entry_id`) or listed only,
    with the reason (`sync.remote_entries` says which kinds are posted and why)."""

    object_type: str
    remote_id: str
    version: str | None
    entry_id: int | None
    deleted: bool
    reason: str
    payload: dict[str, Any]


def list_remote_records(db: Database, company_id: int, provider: str, *,
                        unposted_only: bool = False, limit: int = 1000
                        ) -> list[RemoteRecord]:
    """Pulled transactions (accounts and contacts excluded), newest fetch first."""
    query = select(RemoteObjectRow).where(
        RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
        RemoteObjectRow.object_type.not_in(NOT_TRANSACTIONS))
    if unposted_only:
        query = query.where(RemoteObjectRow.entry_id.is_(None))
    query = query.order_by(RemoteObjectRow.fetched_at.desc(), RemoteObjectRow.id.desc())
    with db.read_session() as session:
        return [RemoteRecord(
            object_type=row.object_type, remote_id=row.remote_id, version=row.version,
            entry_id=row.entry_id, deleted=row.deleted,
            reason=str(store.meta(row).get("reason") or ""),
            payload={k: v for k, v in (row.payload or {}).items() if k != store.META},
        ) for row in session.execute(query.limit(limit)).scalars()]


@dataclass(frozen=True)
class RefusedPush:
    """An entry the provider refused, waiting for a fix: `message` names the entry, the
    provider's reason and what to do."""

    id: int
    provider: str
    entry_id: int
    operation: str
    message: str
    attempts: int
    #: When it was refused: a refused row is left alone until it is sent again, so its last
    #: change is the refusal.
    refused_at: dt.datetime


def list_refused(db: Database, company_id: int, provider: str | None = None
                 ) -> list[RefusedPush]:
    """Pushes refused by the provider and not sent since (oldest first)."""
    query = select(OutboxRow).where(OutboxRow.company_id == company_id,
                                    OutboxRow.state == OutboxState.REFUSED,
                                    OutboxRow.entry_id.is_not(None))
    if provider is not None:
        query = query.where(OutboxRow.provider == str(parse_provider(provider).value))
    with db.read_session() as session:
        return [RefusedPush(row.id, row.provider, row.entry_id or 0, row.operation,
                            row.last_error, row.attempts, row.updated_at)
                for row in session.execute(query.order_by(OutboxRow.id)).scalars()]


def retry_refused(db: Database, company_id: int, provider: str,
                  entry_ids: Sequence[int] | None = None, *, actor: str | None = None) -> int:
    """Send refused entries again at the next sync (all of the provider's, or those of
    `entry_ids`), for when the cause was fixed at the provider (a period reopened, an account
    made active) where our side cannot see it. Returns how many will be sent again; each retry
    is in the audit log."""
    which = str(parse_provider(provider).value)
    with db.session() as session:
        rows = store.refused_for_entries(session, company_id, which, entry_ids)
        for entry_id, row in rows.items():
            row.state = OutboxState.PENDING
            row.basis = None
            repositories.add_audit(session, company_id, actor or default_actor(),
                                   "retry_refused", obj=("entry", entry_id),
                                   details={"provider": which})
        return len(rows)
