"""Rows ↔ immutable domain values. The only place that knows both shapes (STYLE.md practice 7)."""

from __future__ import annotations

from bookkeeper_desktop.core.accounts import Account, AccountSource, AccountType, leaf_name
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.storage.records import (
    AuditRecord,
    Company,
    ConnectionInfo,
    ConnectionStatus,
    ExportRecord,
)
from bookkeeper_desktop.storage.schema import (
    AccountRow,
    AuditLogRow,
    CompanyRow,
    ConnectionRow,
    ExportLogRow,
    JournalEntryRow,
    JournalLineRow,
)


def company_of(row: CompanyRow) -> Company:
    return Company(
        id=row.id,
        name=row.name,
        currency=row.currency,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def account_of(row: AccountRow) -> Account:
    return Account(
        full_name=row.full_name,
        type=AccountType(row.type),
        code=row.code,
        description=row.description,
        tax_code=row.tax_code,
        detail_type=row.detail_type,
        original_type=row.original_type,
        source=AccountSource(row.source),
        active=row.active,
        id=row.id,
        company_id=row.company_id,
        extra={str(k): str(v) for k, v in (row.extra or {}).items()},
    )


def fill_account_row(row: AccountRow, account: Account, parent_id: int | None) -> None:
    """Copy `account` into `row` (all but id/company)."""
    row.full_name = account.full_name
    row.name = leaf_name(account.full_name)
    row.parent_id = parent_id
    row.code = account.code
    row.type = account.type.value
    row.original_type = account.original_type
    row.detail_type = account.detail_type
    row.source = account.source.value
    row.description = account.description
    row.tax_code = account.tax_code
    row.active = account.active
    row.extra = dict(account.extra)


def line_of(row: JournalLineRow) -> JournalLine:
    return JournalLine(
        account_id=row.account_id,
        debit=row.debit,
        credit=row.credit,
        description=row.description,
        contact=row.contact,
        tracking=row.tracking,
        tax_code=row.tax_code or "",
    )


def entry_of(row: JournalEntryRow, lines: list[JournalLineRow]) -> JournalEntry:
    return JournalEntry(
        date=row.date,
        lines=tuple(line_of(line) for line in sorted(lines, key=lambda r: r.line_no)),
        number=row.number,
        memo=row.memo,
        currency=row.currency,
        status=EntryStatus(row.status),
        source=EntrySource(row.source),
        id=row.id,
        company_id=row.company_id,
        qbo_id=row.qbo_id,
        qbo_sync_token=row.qbo_sync_token,
        xero_id=row.xero_id,
        qbo_kind=row.qbo_kind,
        xero_kind=row.xero_kind,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def fill_entry_row(row: JournalEntryRow, entry: JournalEntry) -> None:
    """Copy the header of `entry` into `row` (lines are written separately)."""
    assert entry.date is not None
    row.number = entry.number
    row.date = entry.date
    row.memo = entry.memo
    row.currency = entry.currency
    row.status = entry.status.value
    row.source = entry.source.value
    row.qbo_id = entry.qbo_id
    row.qbo_sync_token = entry.qbo_sync_token
    row.xero_id = entry.xero_id
    row.qbo_kind = entry.qbo_kind
    row.xero_kind = entry.xero_kind
    row.total = entry.total_debit
    row.line_count = len(entry.lines)


def line_rows(entry: JournalEntry) -> list[JournalLineRow]:
    return [
        JournalLineRow(
            line_no=number,
            account_id=line.account_id,
            debit=line.debit,
            credit=line.credit,
            description=line.description,
            contact=line.contact,
            tracking=line.tracking,
            tax_code=line.tax_code,
        )
        for number, line in enumerate(entry.lines, start=1)
    ]


def audit_of(row: AuditLogRow) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        company_id=row.company_id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        details=dict(row.details or {}),
    )


def export_of(row: ExportLogRow) -> ExportRecord:
    return ExportRecord(
        id=row.id,
        company_id=row.company_id,
        provider=row.provider,
        format=row.format,
        filters=dict(row.filters or {}),
        record_count=row.record_count,
        file_name=row.file_name,
        checksum=row.checksum,
        status=row.status,
        message=row.message,
        created_at=row.created_at,
    )


def connection_of(row: ConnectionRow) -> ConnectionInfo:
    return ConnectionInfo(
        provider=row.provider,
        tenant_id=row.tenant_id,
        remote_company_name=row.remote_company_name,
        access_expires_at=row.access_expires_at,
        refresh_expires_at=row.refresh_expires_at,
        scopes=tuple(row.scopes.split()),
        status=ConnectionStatus(row.status),
        status_reason=row.status_reason,
        connected_at=row.connected_at,
        last_sync_at=row.last_sync_at,
        company_id=row.company_id,
        id=row.id,
    )


def fill_connection_row(row: ConnectionRow, info: ConnectionInfo) -> None:
    row.provider = info.provider
    row.tenant_id = info.tenant_id
    row.remote_company_name = info.remote_company_name
    row.access_expires_at = info.access_expires_at
    row.refresh_expires_at = info.refresh_expires_at
    row.scopes = " ".join(info.scopes)
    row.status = info.status.value
    row.status_reason = info.status_reason
    row.connected_at = info.connected_at
    row.last_sync_at = info.last_sync_at
