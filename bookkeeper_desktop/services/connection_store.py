"""The providers' `ConnectionStore` on the database: connection metadata in the `connections`
table, through `services.connections` (metadata only; tokens stay in the OS keychain, PRODUCT.md
§3).

    store = DatabaseConnectionStore(db)
    ConnectFlow(company_id, config, keychain=Keychain(), store=store, ...)

`save` and `set_status` go through `services.connections` (so they are audited as connect and
status changes); `update_expiry`, called after every token refresh, updates only the two expiry
columns without an audit row (a refresh is not a user action).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.connections import Connection, ConnectionState
from bookkeeper_desktop.services import connections as service
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import ConnectionInfo, ConnectionStatus
from bookkeeper_desktop.storage.schema import ConnectionRow
from bookkeeper_desktop.storage.types import utc_now


def connection_from_info(info: ConnectionInfo) -> Connection:
    return Connection(
        provider=Provider(info.provider), tenant_id=info.tenant_id or "",
        company_name=info.remote_company_name, scopes=info.scopes,
        access_expires_at=info.access_expires_at, refresh_expires_at=info.refresh_expires_at,
        status=ConnectionState(info.status.value), reason=info.status_reason,
    )


class DatabaseConnectionStore:
    """`providers.connections.ConnectionStore` backed by the `connections` table. Thread-safe
    (each call opens its own short transaction)."""

    def __init__(self, db: Database, *, actor: str | None = None) -> None:
        self.db = db
        self.actor = actor

    def get(self, company_id: int, provider: Provider) -> Connection | None:
        info = service.get_connection(self.db, company_id, provider.value)
        return connection_from_info(info) if info is not None else None

    def save(self, company_id: int, connection: Connection) -> None:
        service.save_connection(self.db, company_id, ConnectionInfo(
            provider=connection.provider.value, tenant_id=connection.tenant_id,
            remote_company_name=connection.company_name,
            access_expires_at=connection.access_expires_at,
            refresh_expires_at=connection.refresh_expires_at,
            scopes=connection.scopes, status=ConnectionStatus(connection.status.value),
            status_reason=connection.reason, connected_at=utc_now(),
        ), actor=self.actor)

    def set_status(self, company_id: int, provider: Provider, status: ConnectionState,
                   reason: str = "") -> None:
        service.set_connection_status(self.db, company_id, provider.value,
                                      ConnectionStatus(status.value), reason, actor=self.actor)

    def update_expiry(self, company_id: int, provider: Provider,
                      access_expires_at: dt.datetime | None,
                      refresh_expires_at: dt.datetime | None) -> None:
        with self.db.session() as session:
            row = session.execute(select(ConnectionRow).where(
                ConnectionRow.company_id == company_id,
                ConnectionRow.provider == provider.value,
            )).scalar_one_or_none()
            if row is None:
                return
            row.access_expires_at = access_expires_at
            if refresh_expires_at is not None:
                row.refresh_expires_at = refresh_expires_at
