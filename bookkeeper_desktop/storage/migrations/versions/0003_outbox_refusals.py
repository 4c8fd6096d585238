"""Outbox: what a refused push was, so that it is not sent again until something changes.

`outbox.basis` holds a hash of the body sent and of the account mappings (and the provider's
versions of those accounts) in effect when the row was sent. A push the provider refused (state
"refused") waits until its entry, a mapping or one of the remote accounts changes, which changes
the basis, or until the user asks to retry (`services.sync.retry_refused`).

`outbox.refusals` counts the answers that saved nothing (a refusal, an item that failed on the
provider's side), so that the next send gets a new request id: QBO's `requestid` and Xero's
`Idempotency-Key` would otherwise replay that answer (API_NOTES "idempotency").

Revision ID: 0003_outbox_refusals
Revises: 0002_integrations
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_outbox_refusals"
down_revision: str | None = "0002_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("basis", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("refusals", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("refusals")
        batch.drop_column("basis")
