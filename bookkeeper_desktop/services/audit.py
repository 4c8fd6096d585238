"""The audit trail: who did what when. Every service that changes something writes a row."""

from __future__ import annotations

from sqlalchemy import select

from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import audit_of
from bookkeeper_desktop.storage.records import AuditRecord
from bookkeeper_desktop.storage.schema import AuditLogRow


def audit_log(
    db: Database,
    company_id: int,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditRecord]:
    """Newest first."""
    query = select(AuditLogRow).where(AuditLogRow.company_id == company_id)
    if object_type is not None:
        query = query.where(AuditLogRow.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditLogRow.object_id == object_id)
    query = query.order_by(AuditLogRow.at.desc(), AuditLogRow.id.desc())
    with db.read_session() as session:
        rows = session.execute(query.offset(offset).limit(limit)).scalars()
        return [audit_of(row) for row in rows]
