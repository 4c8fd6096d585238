"""Bank and card statements (issue #14): statement lines kept with the bank's id for each line
(nothing imported twice) and their proposals with reasons; how statements name our accounts (and a
bank CSV's confirmed column mapping); the user's rules; the proposal model's counts.

Revision ID: 0005_statements
Revises: 0004_contacts_kinds
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bookkeeper_desktop.storage.types import Money, UTCDateTime

revision: str = "0005_statements"
down_revision: str | None = "0004_contacts_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categoriser_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("tax_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_categoriser_counts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_categoriser_counts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categoriser_counts")),
        sa.UniqueConstraint(
            "company_id",
            "kind",
            "key",
            "account_id",
            name=op.f("uq_categoriser_counts_company_id_kind_key_account_id"),
        ),
    )
    op.create_table(
        "statement_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("csv_mapping", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_statement_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_statement_accounts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_accounts")),
        sa.UniqueConstraint(
            "company_id", "account_key", name=op.f("uq_statement_accounts_company_id_account_key")
        ),
    )
    op.create_table(
        "statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bank_ref", sa.String(length=128), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", Money(precision=18, scale=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("file_line", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("proposed_account_id", sa.Integer(), nullable=True),
        sa.Column("proposed_contact", sa.String(length=200), nullable=False),
        sa.Column("proposed_tax_code", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("proposal_source", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_statement_lines_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_statement_lines_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_statement_lines_entry_id_journal_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_account_id"],
            ["accounts.id"],
            name=op.f("fk_statement_lines_proposed_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_lines")),
        sa.UniqueConstraint(
            "company_id",
            "account_id",
            "bank_ref",
            name=op.f("uq_statement_lines_company_id_account_id_bank_ref"),
        ),
    )
    op.create_index(
        op.f("ix_statement_lines_company_id_state_date"),
        "statement_lines",
        ["company_id", "state", "date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_statement_lines_entry_id"), "statement_lines", ["entry_id"], unique=False
    )
    op.create_table(
        "statement_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contains", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("tax_code", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_statement_rules_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_statement_rules_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_rules")),
    )
    op.create_index(
        op.f("ix_statement_rules_company_id"), "statement_rules", ["company_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_statement_rules_company_id"), table_name="statement_rules")
    op.drop_table("statement_rules")
    op.drop_index(op.f("ix_statement_lines_entry_id"), table_name="statement_lines")
    op.drop_index(op.f("ix_statement_lines_company_id_state_date"), table_name="statement_lines")
    op.drop_table("statement_lines")
    op.drop_table("statement_accounts")
    op.drop_table("categoriser_counts")
