"""Connections to QBO / Xero (metadata only: no token is ever stored in the database, PRODUCT.md
§3) and the per-company, per-provider integration settings (the seed's `integration_settings`)."""

from __future__ import annotations

from sqlalchemy import select

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import connection_of, fill_connection_row
from bookkeeper_desktop.storage.records import ConnectionInfo, ConnectionStatus
from bookkeeper_desktop.storage.repositories import add_audit
from bookkeeper_desktop.storage.schema import ConnectionRow, IntegrationSettingRow
from bookkeeper_desktop.storage.types import utc_now

SYNC_PROVIDERS = ("qbo", "xero")


def _check_provider(provider: str) -> None:
    if provider not in SYNC_PROVIDERS:
        raise ValidationError(
            f"Unknown provider '{provider}'.", [f"Expected one of {', '.join(SYNC_PROVIDERS)}."]
        )


def list_connections(db: Database, company_id: int) -> list[ConnectionInfo]:
    with db.read_session() as session:
        rows = session.execute(
            select(ConnectionRow)
            .where(ConnectionRow.company_id == company_id)
            .order_by(ConnectionRow.provider)
        )
        return [connection_of(row) for row in rows.scalars()]


def get_connection(db: Database, company_id: int, provider: str) -> ConnectionInfo | None:
    with db.read_session() as session:
        row = session.execute(
            select(ConnectionRow).where(
                ConnectionRow.company_id == company_id,
                ConnectionRow.provider == provider,
            )
        ).scalar_one_or_none()
        return connection_of(row) if row else None


def save_connection(
    db: Database, company_id: int, info: ConnectionInfo, *, actor: str | None = None
) -> ConnectionInfo:
    """Create or replace the company's connection to `info.provider`."""
    _check_provider(info.provider)
    with db.session() as session:
        row = session.execute(
            select(ConnectionRow).where(
                ConnectionRow.company_id == company_id,
                ConnectionRow.provider == info.provider,
            )
        ).scalar_one_or_none()
        if row is None:
            row = ConnectionRow(company_id=company_id)
            session.add(row)
        fill_connection_row(row, info)
        row.updated_at = utc_now()
        session.flush()
        add_audit(
            session,
            company_id,
            actor or default_actor(),
            "connect",
            obj=("connection", row.id),
            details={
                "provider": info.provider,
                "tenant_id": info.tenant_id,
                "status": info.status.value,
            },
        )
        return connection_of(row)


def set_connection_status(
    db: Database,
    company_id: int,
    provider: str,
    status: ConnectionStatus,
    reason: str = "",
    *,
    actor: str | None = None,
) -> ConnectionInfo | None:
    """Mark a connection connected / needing attention / disconnected (None if there is none)."""
    with db.session() as session:
        row = session.execute(
            select(ConnectionRow).where(
                ConnectionRow.company_id == company_id,
                ConnectionRow.provider == provider,
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        row.status = status.value
        row.status_reason = reason
        row.updated_at = utc_now()
        session.flush()
        add_audit(
            session,
            company_id,
            actor or default_actor(),
            "connection_status",
            obj=("connection", row.id),
            details={"provider": provider, "status": status.value, "reason": reason},
        )
        return connection_of(row)


def remove_connection(
    db: Database, company_id: int, provider: str, *, actor: str | None = None
) -> bool:
    with db.session() as session:
        row = session.execute(
            select(ConnectionRow).where(
                ConnectionRow.company_id == company_id,
                ConnectionRow.provider == provider,
            )
        ).scalar_one_or_none()
        if row is None:
            return False
        add_audit(
            session,
            company_id,
            actor or default_actor(),
            "disconnect",
            obj=("connection", row.id),
            details={"provider": provider},
        )
        session.delete(row)
        return True


def integration_settings(db: Database, company_id: int, provider: str) -> dict[str, str]:
    with db.read_session() as session:
        rows = session.execute(
            select(IntegrationSettingRow).where(
                IntegrationSettingRow.company_id == company_id,
                IntegrationSettingRow.provider == provider,
            )
        ).scalars()
        return {row.key: row.value for row in rows}


def set_integration_setting(
    db: Database, company_id: int, provider: str, key: str, value: str | None
) -> None:
    """Set (or with None, remove) one non-secret setting."""
    with db.session() as session:
        row = session.execute(
            select(IntegrationSettingRow).where(
                IntegrationSettingRow.company_id == company_id,
                IntegrationSettingRow.provider == provider,
                IntegrationSettingRow.key == key,
            )
        ).scalar_one_or_none()
        if value is None:
            if row is not None:
                session.delete(row)
            return
        if row is None:
            row = IntegrationSettingRow(company_id=company_id, provider=provider, key=key)
            session.add(row)
        row.value = value
        row.updated_at = utc_now()


# -- one company, one set of books (PRODUCT.md §1 "Company") --------------------------------------

#: `integration_settings` key: "1" when the provider is connected *push only* (our entries are
#: sent there, nothing is pulled from it: `sync.engine` skips the pull).
PUSH_ONLY_KEY = "push_only"


def is_push_only(db: Database, company_id: int, provider: str) -> bool:
    return integration_settings(db, company_id, provider).get(PUSH_ONLY_KEY) == "1"


def set_push_only(db: Database, company_id: int, provider: str, push_only: bool) -> None:
    set_integration_setting(db, company_id, provider, PUSH_ONLY_KEY, "1" if push_only else None)


def kept_in_step_with(db: Database, company_id: int, *, other_than: str) -> str | None:
    """The provider (other than `other_than`) the company is kept in step with: connected (or
    needing a reconnect) and not push only. None when there is none: then `other_than` may be
    connected in step, else only push only."""
    for info in list_connections(db, company_id):
        if info.provider == other_than or info.status is ConnectionStatus.DISCONNECTED:
            continue
        if not is_push_only(db, company_id, info.provider):
            return info.provider
    return None


def second_provider_question(provider_title: str, primary_title: str) -> str:
    """What connecting a second provider asks (the app's dialog, the CLI's refusal)."""
    return (f"These books are kept in step with {primary_title}. Connecting {provider_title} "
            f"as well would pull a second ledger into the same books. Connect {provider_title} "
            f"push only instead: your entries are sent to {provider_title}, nothing is pulled "
            f"from it (the way to move the books from {primary_title} to {provider_title}).")
