"""Contacts, per-line tax codes, and the kind each entry was sent as.

- `contacts`: the company's customers and suppliers (PRODUCT.md §1 "Contact"), with the ids of
  their counterparts at QBO (a Customer and/or a Vendor) and Xero (a Contact). Lines keep naming
  their contact by name (`journal_lines.contact`), as IIF, QBO CSV and Xero do.
- `journal_lines.tax_code`: the line's tax code (Xero TaxType, QBO TaxCode), empty for the
  account's default.
- `journal_entries.qbo_kind` / `xero_kind`: what the entry became at the provider (NULL for the
  journal kinds, QBO JournalEntry and Xero ManualJournals, which is what every entry was before);
  `qbo_id` / `xero_id` are ids of that kind.
- `outbox.object_type`: the kind of the push, so that reconciliation looks for it in the right
  collection (NULL for the journal kinds); `outbox.run_id`: the sync run that got it to the
  provider (what "Undo this sync" takes back).

Revision ID: 0004_contacts_kinds
Revises: 0003_outbox_refusals
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bookkeeper_desktop.storage.types import UTCDateTime

revision: str = "0004_contacts_kinds"
down_revision: str | None = "0003_outbox_refusals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_customer", sa.Boolean(), nullable=False),
        sa.Column("is_supplier", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("qbo_customer_id", sa.String(length=40), nullable=True),
        sa.Column("qbo_vendor_id", sa.String(length=40), nullable=True),
        sa.Column("xero_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"],
                                name=op.f("fk_contacts_company_id_companies"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_contacts_company_id_name")),
    )
    with op.batch_alter_table("journal_lines") as batch:
        batch.add_column(sa.Column("tax_code", sa.String(length=40), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("journal_entries") as batch:
        batch.add_column(sa.Column("qbo_kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("xero_kind", sa.String(length=20), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("object_type", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("run_id")
        batch.drop_column("object_type")
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_column("xero_kind")
        batch.drop_column("qbo_kind")
    with op.batch_alter_table("journal_lines") as batch:
        batch.drop_column("tax_code")
    op.drop_table("contacts")
