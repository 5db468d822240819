"""indexes that keep hot statements off a year of history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Found by EXPLAIN ANALYZE on 20,000 users with a year of check-ins (19 M rows) and 7 M deliveries:
- check_ins (goal_id, check_in_date) WHERE pending: the answer's lock statement and overdue sweep
  filtered a goal's 365 answered rows to find its pending one;
- push_deliveries (created_at) WHERE not pending: hourly retention walked the whole table by id;
- users (timezone, id) WHERE onboarded: the day-boundary batches read every user for each zone;
- check_ins.missed_due_at (the start of the owner's next local day), indexed over pending rows: the
  missed job probed every user's pending rows on each run (250 ms idle at 20,000 users) and now
  reads the rows that are due. Existing pending rows get theirs from their owner's timezone.
Plain CREATE INDEX inside the release's transaction (it holds the migration lock); on a table already
large in production, build the same index CONCURRENTLY by hand first and this step finds it there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("check_ins", sa.Column("missed_due_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE check_ins SET missed_due_at = timezone(users.timezone, (check_ins.check_in_date + 1)::timestamp)"
        " FROM users WHERE users.id = check_ins.user_id AND check_ins.status = 'pending'"
    )
    op.create_index(
        "ix_check_ins_missed_due_at",
        "check_ins",
        ["missed_due_at"],
        postgresql_where=sa.text("status = 'pending' AND missed_due_at IS NOT NULL"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_check_ins_pending_goal_date",
        "check_ins",
        ["goal_id", "check_in_date"],
        postgresql_where=sa.text("status = 'pending'"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_push_deliveries_finished_created",
        "push_deliveries",
        ["created_at"],
        postgresql_where=sa.text("status <> 'pending'"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_users_onboarded_timezone_id",
        "users",
        ["timezone", "id"],
        postgresql_where=sa.text("onboarding_completed_at IS NOT NULL"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_check_ins_missed_due_at", table_name="check_ins")
    op.drop_column("check_ins", "missed_due_at")
    op.drop_index("ix_users_onboarded_timezone_id", table_name="users")
    op.drop_index("ix_push_deliveries_finished_created", table_name="push_deliveries")
    op.drop_index("ix_check_ins_pending_goal_date", table_name="check_ins")
