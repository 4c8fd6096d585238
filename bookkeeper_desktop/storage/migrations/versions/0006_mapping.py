"""Account mappings: what the user should look at before confirming a proposal.

`account_mappings.warning` is empty for an exact proposal (same number or name, same type) and
otherwise says what differs ("type differs: Expense here, Other expense there", "names differ");
confirming a proposal with a warning asks first (`core.account_matching`).

Revision ID: 0006_mapping
Revises: 0005_statements
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_mapping"
down_revision: str | None = "0005_statements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_mappings") as batch:
        batch.add_column(sa.Column("warning", sa.String(length=200), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("account_mappings") as batch:
        batch.drop_column("warning")
