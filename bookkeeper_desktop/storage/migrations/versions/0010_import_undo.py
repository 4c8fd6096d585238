"""Chart imports kept so that the last one can be undone (issue #12, "a way back").

- `chart_imports`: each applied chart-of-accounts import (file, format, SHA-256, who, when, counts,
  the mapping proposals it made) and, once undone, when, by whom and what the undo kept.
- `chart_import_accounts`: each account an import added or changed, with its values after the
  import and (for a change) before it. `account_id` is deliberately not a foreign key.

Revision ID: 0010_import_undo
Revises: 0009_results
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bookkeeper_desktop.storage.types import UTCDateTime

revision: str = "0010_import_undo"
down_revision: str | None = "0009_results"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chart_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("format", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=False),
        sa.Column("undo_result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_chart_imports_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_imports")),
    )
    op.create_index(
        op.f("ix_chart_imports_company_id_imported_at"),
        "chart_imports",
        ["company_id", "imported_at"],
        unique=False,
    )
    op.create_table(
        "chart_import_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["chart_imports.id"],
            name=op.f("fk_chart_import_accounts_import_id_chart_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_import_accounts")),
    )
    op.create_index(
        op.f("ix_chart_import_accounts_import_id"),
        "chart_import_accounts",
        ["import_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_chart_import_accounts_import_id"), table_name="chart_import_accounts")
    op.drop_table("chart_import_accounts")
    op.drop_index(op.f("ix_chart_imports_company_id_imported_at"), table_name="chart_imports")
    op.drop_table("chart_imports")
