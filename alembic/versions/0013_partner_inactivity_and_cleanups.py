"""partner-inactive due index; index of disabled and suspended users for the partnership clean-up

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

docs/domain.md §3.11 "Partner inactive" and §4: `partner_inactive_due` holds one due instant per user
whose partners are told when they go quiet; the notifier reads it through its index, never by scanning
users. The partial index on users serves cleanup_inactive_user_partnerships' keyset walk.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_inactive_due",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_partner_inactive_due_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_partner_inactive_due")),
    )
    op.create_index(op.f("ix_partner_inactive_due_due_at"), "partner_inactive_due", ["due_at"])
    op.create_index(
        "ix_users_not_active_id",
        "users",
        ["id"],
        postgresql_where=sa.text("status IN ('disabled', 'suspended')"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_not_active_id", table_name="users")
    op.drop_index(op.f("ix_partner_inactive_due_due_at"), table_name="partner_inactive_due")
    op.drop_table("partner_inactive_due")
