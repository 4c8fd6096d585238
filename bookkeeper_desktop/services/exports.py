"""The export log (the seed's `qbo_export_log` / `xero_export_log`, one table with a provider).

Provider per format: QuickBooks Online CSV → "qbo", Xero manual-journal CSV → "xero", QuickBooks
Desktop IIF → "qbd", Excel workbook → "excel".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import export_of
from bookkeeper_desktop.storage.records import ExportRecord
from bookkeeper_desktop.storage.repositories import add_audit
from bookkeeper_desktop.storage.schema import PROVIDERS, ExportLogRow

EXPORT_STATUSES = ("succeeded", "failed", "cancelled")


def file_checksum(path: Path) -> str:
    """sha256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def log_export(
    db: Database,
    company_id: int,
    *,
    provider: str,
    format: str,
    filters: Mapping[str, Any],
    record_count: int,
    file_name: str,
    checksum: str | None,
    status: str,
    message: str = "",
    actor: str | None = None,
) -> ExportRecord:
    problems = []
    if provider not in PROVIDERS:
        problems.append(f"Unknown provider '{provider}' (expected one of {', '.join(PROVIDERS)}).")
    if status not in EXPORT_STATUSES:
        problems.append(f"Unknown export status '{status}'.")
    if problems:
        raise ValidationError("The export cannot be logged.", problems)
    with db.session() as session:
        row = ExportLogRow(
            company_id=company_id,
            provider=provider,
            format=format,
            filters=dict(filters),
            record_count=record_count,
            file_name=file_name,
            checksum=checksum,
            status=status,
            message=message,
        )
        session.add(row)
        session.flush()
        add_audit(
            session,
            company_id,
            actor or default_actor(),
            "export",
            obj=("export_log", row.id),
            details={
                "provider": provider,
                "format": format,
                "records": record_count,
                "status": status,
            },
        )
        return export_of(row)


def export_history(
    db: Database, company_id: int, *, provider: str | None = None, limit: int = 100
) -> list[ExportRecord]:
    """Newest first."""
    query = select(ExportLogRow).where(ExportLogRow.company_id == company_id)
    if provider is not None:
        query = query.where(ExportLogRow.provider == provider)
    query = query.order_by(ExportLogRow.created_at.desc(), ExportLogRow.id.desc()).limit(limit)
    with db.read_session() as session:
        return [export_of(row) for row in session.execute(query).scalars()]
