"""user identities: Google and Apple sign-in identities linked to accounts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

One row per provider identity (the token's `sub`) an account can sign in with. (provider, subject) is
unique, so an identity belongs to one account only; (user_id, provider) is unique, so an account links
at most one identity per provider. Rows go with their account (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_identities",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("provider IN ('google', 'apple')", name=op.f("ck_user_identities_provider")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identities")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_user_identities_provider_subject")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_user_identities_user_id_provider")),
    )


def downgrade() -> None:
    op.drop_table("user_identities")
