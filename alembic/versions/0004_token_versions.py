"""token versions: access and refresh tokens die with the account, a password change or a suspension

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

users.token_version is bumped in the transaction that changes the account's status or password; every
access token carries the version it was issued under and is refused once the user's version moved on
(api/auth/access_states.py). refresh_tokens.token_version is the user's version when the refresh
token was issued, so a token that a concurrent login or refresh wrote while the version was bumped is
refused too. Adding a NOT NULL column with a constant default rewrites no rows (PostgreSQL 11+), so
both steps are quick on large tables. Access tokens issued before this release carry no version and
are refused once: the app refreshes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("token_version", sa.Integer, nullable=False, server_default="0"))
    op.add_column(
        "refresh_tokens", sa.Column("token_version", sa.Integer, nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("refresh_tokens", "token_version")
    op.drop_column("users", "token_version")
