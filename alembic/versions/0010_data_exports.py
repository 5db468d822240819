"""data exports: one per user per local day, its JSON document stored in chunks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The exports.build actor writes the document into data_export_chunks (every web process can stream it:
a PaaS disk is not shared); exports.tidy deletes exports a week old (their links have expired).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_exports",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, server_default="pending", nullable=False),
        sa.Column("attempts", sa.SmallInteger, server_default="0", nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'failed')", name=op.f("ck_data_exports_status")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_exports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
        sa.UniqueConstraint("user_id", "requested_on", name=op.f("uq_data_exports_user_id_requested_on")),
    )
    op.create_table(
        "data_export_chunks",
        sa.Column("export_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["data_exports.id"],
            name=op.f("fk_data_export_chunks_export_id_data_exports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("export_id", "seq", name=op.f("pk_data_export_chunks")),
    )


def downgrade() -> None:
    op.drop_table("data_export_chunks")
    op.drop_table("data_exports")
