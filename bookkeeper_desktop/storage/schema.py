"""The database schema as SQLAlchemy 2 typed ORM classes (`...Row`): one place that says what is
stored. Rows never leave `storage/` as they are; `storage.mapping` turns them into the frozen core
values (`Account`, `JournalEntry`) and the records of `storage.records`.

Conventions: every table but `companies` carries `company_id` (a company is one set of books);
providers are the strings of `PROVIDERS`; times are UTC (`UTCDateTime`); amounts are `Money`
(`Numeric(18, 2)`, integer cents on SQLite); free-form extras are JSON.

Export log: one table `export_log` with a `provider` column, plus the seed's `qbo_export_log` and
`xero_export_log` as views over it (created by the migration). Provider per format: QuickBooks
Online CSV → "qbo", Xero manual-journal CSV → "xero", QuickBooks Desktop IIF → "qbd", Excel
workbook → "excel".

No OAuth token is ever stored here: `connections` keeps only non-secret metadata (PRODUCT.md §3);
tokens live in the OS keychain.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bookkeeper_desktop.storage.types import Money, UTCDateTime, utc_now

#: Providers named in rows: the two we sync with and the two file-only targets.
PROVIDERS = ("qbo", "xero", "qbd", "excel")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dt.datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: JSON(),
    }


def _company_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=False)


class CompanyRow(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AccountRow(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("company_id", "full_name"),
        UniqueConstraint("company_id", "code"),
        Index(None, "company_id", "type"),
        Index(None, "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    code: Mapped[str | None] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(400))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    #: Our normalised type (`core.accounts.AccountType` value).
    type: Mapped[str] = mapped_column(String(40))
    #: The type label of the system the account came from (IIF code, QBO label, Xero name).
    original_type: Mapped[str | None] = mapped_column(String(100))
    detail_type: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    description: Mapped[str] = mapped_column(Text, default="")
    tax_code: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    qbo_id: Mapped[str | None] = mapped_column(String(40))
    xero_id: Mapped[str | None] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class JournalEntryRow(Base):
    """An entry. `total` (sum of the debits) and `line_count` are kept with the row so that the
    ledger table pages, sorts and shows amounts without reading 300k lines."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        Index(None, "company_id", "date", "id"),
        Index(None, "company_id", "status", "date"),
        Index(None, "company_id", "number"),
        Index(None, "company_id", "qbo_id"),
        Index(None, "company_id", "xero_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    number: Mapped[str] = mapped_column(String(40), default="")
    date: Mapped[dt.date] = mapped_column(Date)
    memo: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source: Mapped[str] = mapped_column(String(16), default="manual")
    total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    qbo_id: Mapped[str | None] = mapped_column(String(40))
    qbo_sync_token: Mapped[str | None] = mapped_column(String(40))
    xero_id: Mapped[str | None] = mapped_column(String(64))
    #: What the entry became at the provider (`core.kinds`); NULL for the journal kinds (QBO
    #: JournalEntry, Xero ManualJournals). `qbo_id` / `xero_id` are ids of that kind.
    qbo_kind: Mapped[str | None] = mapped_column(String(20))
    xero_kind: Mapped[str | None] = mapped_column(String(20))
    #: The provider deleted or voided its copy; we keep ours and mark it (PRODUCT.md §4).
    remote_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    lines: Mapped[list[JournalLineRow]] = relationship(
        back_populates="entry",
        order_by="JournalLineRow.line_no",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class JournalLineRow(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        UniqueConstraint("entry_id", "line_no"),
        Index(None, "account_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    debit: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    credit: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    description: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    tracking: Mapped[str] = mapped_column(String(200), default="")
    #: Xero TaxType / QBO TaxCode; empty for the account's own default.
    tax_code: Mapped[str] = mapped_column(String(40), default="", server_default="")

    entry: Mapped[JournalEntryRow] = relationship(back_populates="lines")


class ContactRow(Base):
    """A customer or supplier (PRODUCT.md §1 "Contact"); lines name one by `name`. The remote
    ids link it to a QBO Customer and/or Vendor and a Xero Contact."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    name: Mapped[str] = mapped_column(String(200))
    is_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: "manual", "sample", "qbo", "xero", "entry" (named on a line first).
    source: Mapped[str] = mapped_column(String(20), default="manual")
    qbo_customer_id: Mapped[str | None] = mapped_column(String(40))
    qbo_vendor_id: Mapped[str | None] = mapped_column(String(40))
    xero_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AccountMappingRow(Base):
    """Our account ↔ a QBO account id / Xero account code; proposed, then confirmed by the user."""

    __tablename__ = "account_mappings"
    __table_args__ = (
        UniqueConstraint("company_id", "provider", "account_id"),
        Index(None, "company_id", "provider", "remote_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    remote_id: Mapped[str | None] = mapped_column(String(64))
    remote_code: Mapped[str | None] = mapped_column(String(40))
    remote_name: Mapped[str | None] = mapped_column(String(400))
    #: "proposed" or "confirmed".
    state: Mapped[str] = mapped_column(String(12), default="proposed")
    #: Why it was proposed: "number, name and type", "name and type", "number and type",
    #: "chosen by hand", "created in …" (older rows: "number", "exact name", "normalised name").
    proposal_reason: Mapped[str] = mapped_column(String(200), default="")
    #: What the user should look at before confirming ("type differs: …", "names differ");
    #: empty for an exact proposal (core.account_matching).
    warning: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ExportLogRow(Base):
    """Every export. Seen through the views `qbo_export_log` and `xero_export_log` too."""

    __tablename__ = "export_log"
    __table_args__ = (Index(None, "company_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    #: "qbo" (QBO CSV), "xero" (Xero CSV), "qbd" (QuickBooks Desktop IIF), "excel" (XLSX).
    provider: Mapped[str] = mapped_column(String(10))
    format: Mapped[str] = mapped_column(String(20))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(Text, default="")
    #: sha256 of the written file, hex.
    checksum: Mapped[str | None] = mapped_column(String(64))
    #: "succeeded", "failed" or "cancelled".
    status: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class ConnectionRow(Base):
    """A company's link to one QBO realm or Xero tenant: metadata only, **no tokens**."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("company_id", "provider"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    #: QBO realmId or Xero tenantId.
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    remote_company_name: Mapped[str] = mapped_column(String(400), default="")
    access_expires_at: Mapped[dt.datetime | None] = mapped_column()
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column()
    #: Space-separated, as OAuth writes them.
    scopes: Mapped[str] = mapped_column(Text, default="")
    #: "connected", "needs_attention" or "disconnected".
    status: Mapped[str] = mapped_column(String(20), default="connected")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    connected_at: Mapped[dt.datetime | None] = mapped_column()
    last_sync_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class IntegrationSettingRow(Base):
    """The seed's `integration_settings`: key/value per company and provider (non-secret)."""

    __tablename__ = "integration_settings"
    __table_args__ = (UniqueConstraint("company_id", "provider", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class SyncRunRow(Base):
    """One sync: direction, counts, errors, duration (PRODUCT.md §1 "Sync log")."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index(None, "company_id", "provider", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    #: "pull", "push" or "both".
    direction: Mapped[str] = mapped_column(String(8))
    #: "running", "succeeded", "attention" (succeeded with entries left unsent or problems),
    #: "failed", "cancelled".
    status: Mapped[str] = mapped_column(String(12), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncCursorRow(Base):
    """Where the next incremental pull starts, per company, provider and entity."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("company_id", "provider", "entity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(40))
    cursor_value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class OutboxRow(Base):
    """A push waiting to happen or done, keyed for idempotency (QBO `requestid`, Xero
    `Idempotency-Key`; API_NOTES.md) so a retry or crash never creates a duplicate."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index(None, "company_id", "provider", "state"),
        Index(None, "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="SET NULL")
    )
    #: "create", "update", "delete" or "void".
    operation: Mapped[str] = mapped_column(String(10))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    #: "pending", "sending", "sent", "failed" (a transient failure: sent again at the next
    #: sync), "refused" (the provider refused it: waits for a change or a retry), "conflict",
    #: "done".
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    remote_id: Mapped[str | None] = mapped_column(String(64))
    #: Hash of the body last sent and of the mappings it used (`sync.push`): a refused push is
    #: sent again only when this changes or the user asks for a retry.
    basis: Mapped[str | None] = mapped_column(String(64))
    #: How often the provider answered this push without saving it (refused it, or the item
    #: failed on its side): part of the next request id, so that the provider's idempotency
    #: does not replay that answer (API_NOTES "idempotency").
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The kind pushed (`core.kinds`): where reconciliation looks for it. NULL for the journal
    #: kinds.
    object_type: Mapped[str | None] = mapped_column(String(40))
    #: The sync run that got it to the provider (`sync.undo` takes a run's pushes back).
    run_id: Mapped[int | None] = mapped_column(Integer)
    #: Why it was not sent, for a "refused" row (`sync.store.NotSentReason`): "unmapped",
    #: "stopped" or "refused"; NULL otherwise (and for refusals older than this column).
    reason: Mapped[str | None] = mapped_column(String(20))
    #: For an update that reached the provider: the remote object as we held it before
    #: (`{"payload", "version", "fetched_at"}`, `sync.store.keep_before_image`), what undoing
    #: the run sends back (`sync.undo`). NULL for creates and older updates.
    before_image: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class RemoteObjectRow(Base):
    """An object pulled from a provider, kept once however often it is pulled."""

    __tablename__ = "remote_objects"
    __table_args__ = (
        UniqueConstraint("company_id", "provider", "object_type", "remote_id"),
        Index(None, "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    provider: Mapped[str] = mapped_column(String(10))
    object_type: Mapped[str] = mapped_column(String(40))
    remote_id: Mapped[str] = mapped_column(String(64))
    #: QBO SyncToken or Xero's UpdatedDateUTC stamp.
    version: Mapped[str | None] = mapped_column(String(64))
    remote_updated_at: Mapped[dt.datetime | None] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="SET NULL")
    )
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AuditLogRow(Base):
    """Who did what when: every change the services make writes one row."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "company_id", "at"),
        Index(None, "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


#: The seed's per-provider export logs, kept as views over `export_log`.
EXPORT_LOG_VIEWS = {"qbo_export_log": "qbo", "xero_export_log": "xero"}


# --- bank and card statements (issue #14) -------------------------------------------------------


class StatementAccountRow(Base):
    """How a statement names one of our accounts (OFX "ofx:BANKID/ACCTID", CAMT "iban:…", a bank
    CSV's "csv:<header hash>"), asked once and remembered; a CSV's confirmed column mapping."""

    __tablename__ = "statement_accounts"
    __table_args__ = (UniqueConstraint("company_id", "account_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    account_key: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    csv_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class StatementLineRow(Base):
    """A statement line, kept with the bank's id for it (`bank_ref`: OFX FITID, CAMT reference,
    else a hash of the row) so that nothing is imported twice, and its proposal with the reason.

    `state`: "proposed" (a draft entry waits for review), "matched" (an entry already in the books
    is this line), "transfer" (the other side of a transfer between two of our accounts: the entry
    of the first side covers it), "accepted" (its entry was approved), "ignored" (skipped by the
    user; a re-import keeps it skipped)."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        UniqueConstraint("company_id", "account_id", "bank_ref"),
        Index(None, "company_id", "state", "date"),
        Index(None, "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    bank_ref: Mapped[str] = mapped_column(String(128))
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")
    payee: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    file_name: Mapped[str] = mapped_column(String(400), default="")
    file_line: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default="proposed")
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="SET NULL")
    )
    proposed_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    proposed_contact: Mapped[str] = mapped_column(String(200), default="")
    #: Until journal lines carry a tax code (the contacts/tax issue), the proposal keeps it here.
    proposed_tax_code: Mapped[str] = mapped_column(String(40), default="")
    #: 0-100: how sure the proposal is.
    confidence: Mapped[int] = mapped_column(Integer, default=0)
    #: "rule", "payee", "words", "none", "match" or "transfer".
    proposal_source: Mapped[str] = mapped_column(String(10), default="none")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class StatementRuleRow(Base):
    """The user's rule: "description contains … → account, contact, tax code"."""

    __tablename__ = "statement_rules"
    __table_args__ = (Index(None, "company_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    contains: Mapped[str] = mapped_column(String(200))
    #: "in", "out" or "" (both).
    direction: Mapped[str] = mapped_column(String(4), default="")
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact: Mapped[str] = mapped_column(String(200), default="")
    tax_code: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class CategoriserCountRow(Base):
    """The proposal model's state (`core.categorise.Model`): how many approved lines of a payee
    ("payee") or holding a word ("word") went to an account. Learned only from lines the user
    created or approved in this app, never from entries pulled from QBO or Xero."""

    __tablename__ = "categoriser_counts"
    __table_args__ = (UniqueConstraint("company_id", "kind", "key", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    kind: Mapped[str] = mapped_column(String(6))
    key: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_date: Mapped[dt.date | None] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(200), default="")
    tax_code: Mapped[str] = mapped_column(String(40), default="")


# --- chart-of-accounts imports, kept so that the last one can be undone (issue #12) --------------


class ChartImportRow(Base):
    """One applied chart-of-accounts import: the file and when, and (once undone) when and by
    whom it was undone and what that kept. `details` holds the ids of the mapping proposals the
    import made (`proposal_ids`). What it did to each account is in `chart_import_accounts`."""

    __tablename__ = "chart_imports"
    __table_args__ = (Index(None, "company_id", "imported_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = _company_fk()
    file_name: Mapped[str] = mapped_column(String(400), default="")
    format: Mapped[str] = mapped_column(String(100), default="")
    #: SHA-256 of the file imported, hex.
    sha256: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undone_at: Mapped[dt.datetime | None] = mapped_column()
    undone_by: Mapped[str] = mapped_column(String(100), default="")
    #: What the undo did: the accounts removed, restored and kept (with the reason).
    undo_result: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChartImportAccountRow(Base):
    """An account an import added ("added") or changed ("changed"): its values after the import
    and, for a change, before it (`services.coa_undo.account_values`). `account_id` is no foreign
    key: the record outlives an account removed since, and is never a reason to keep one."""

    __tablename__ = "chart_import_accounts"
    __table_args__ = (Index(None, "import_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("chart_imports.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Integer)
    #: "added" or "changed".
    action: Mapped[str] = mapped_column(String(8))
    #: SQL NULL for an added account (not JSON 'null': nothing to encode for 5,000 adds).
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
