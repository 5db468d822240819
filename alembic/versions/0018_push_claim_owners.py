"""push claims get an id and an owner: fencing by a unique token, and dead owners found at once

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

workers/push/delivery.py and workers/push/sweep.py: a claim was identified by its timestamp, which two
workers can share; `claim_id` is a fresh uuid per claim, the token every later write of the batch is
fenced by. `claimed_by` names the worker process that holds it, so the sweeper can take back the claims
of a process that stopped beating (workers/liveness.py) without waiting for the lease. The partial
index serves that look-up: it holds only the rows in flight.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("push_deliveries", sa.Column("claim_id", UUID(as_uuid=True)))
    op.add_column("push_deliveries", sa.Column("claimed_by", sa.Text))
    op.create_index(
        "ix_push_deliveries_in_flight",
        "push_deliveries",
        ["claimed_by"],
        postgresql_where=sa.text("status = 'pending' AND sent_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_push_deliveries_in_flight", table_name="push_deliveries")
    op.drop_column("push_deliveries", "claimed_by")
    op.drop_column("push_deliveries", "claim_id")
