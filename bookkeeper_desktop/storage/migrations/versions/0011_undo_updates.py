"""What an update replaced at the provider: `outbox.before_image`, so undoing a sync can send
the earlier version back (issue #12 "A way back", `sync.undo`).

- `outbox.before_image`: for an update (or a QBO void, which is an update) that reached the
  provider, the remote object as we held it before the update — `{"payload": …, "version": …,
  "fetched_at": …}` (`sync.store.keep_before_image`). NULL for creates and for updates sent
  before this revision (those are listed as not undone).

Revision ID: 0011_undo_updates
Revises: 0010_import_undo
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_undo_updates"
down_revision: str | None = "0010_import_undo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("before_image", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("before_image")
