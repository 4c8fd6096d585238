"""Why an entry was not sent: `outbox.reason`.

- `outbox.reason`: the category of an unsent push (`sync.store.NotSentReason`): "unmapped" (an
  account is not mapped), "stopped" (stopped before sending: no kind fits, a contact is missing,
  no open invoice, another currency), "refused" (the provider refused it). NULL for the rows
  that were sent, and for refusals recorded before this revision (read as "refused").
  Conflicts and transient failures are told by their state.

Revision ID: 0009_results
Revises: 0006_mapping
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_results"
down_revision: str | None = "0006_mapping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("reason")
