"""reminder texts generated ahead: the prepared text of a slot's next occurrence, and its preparation index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

docs/domain.md §3.12 "Reminder (ai_motivation)", docs/scheduling.md "Reminder texts": the text of a goal
reminder is written by `reminder_texts.prepare` in the hours before its fire time and stored on the slot,
with the occurrence it was written for (`text_fire_at`): it is valid only while `text_fire_at =
next_fire_at`, so a slot advanced or rescheduled never carries a text to another occurrence.
`text_claimed_at` is the preparation's claim (a lease); it is cleared once the occurrence is handled.
The partial index holds exactly the slots whose next occurrence still needs preparing (or is claimed),
ordered by fire time, so the preparation's window is an index range and a prepared slot leaves it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_PENDING = (
    "goal_id IS NOT NULL AND (text_fire_at IS DISTINCT FROM next_fire_at OR text_claimed_at IS NOT NULL)"
)


def upgrade() -> None:
    op.add_column("reminder_slots", sa.Column("text_title", sa.Text()))
    op.add_column("reminder_slots", sa.Column("text_body", sa.Text()))
    op.add_column("reminder_slots", sa.Column("text_fire_at", sa.DateTime(timezone=True)))
    op.add_column("reminder_slots", sa.Column("text_claimed_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_reminder_slots_text_pending",
        "reminder_slots",
        ["next_fire_at"],
        postgresql_where=sa.text(TEXT_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_reminder_slots_text_pending", table_name="reminder_slots")
    for column in ("text_claimed_at", "text_fire_at", "text_body", "text_title"):
        op.drop_column("reminder_slots", column)
