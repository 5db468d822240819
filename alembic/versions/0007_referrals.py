"""referrals: every user has a referral code, nobody refers themself, the referred list is indexed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

Accounts made before sign-up drew codes (or by a path that does not) get one here. Each is drawn in
SQL from the alphabet of domain/referrals.py; a code another user already holds is drawn again, so
the unique constraint never fails the migration. users.referred_by_user_id gets a CHECK against
self-referral (a self-link left by old data is cleared first) and an index for GET
/users/me/referrals, which also serves the ON DELETE SET NULL of a deleted referrer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of domain.referrals' alphabet and length: a migration must not change when the code does.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_LENGTH = 8

_BACKFILL = f"""
DO $$
DECLARE
    missing uuid;
BEGIN
    FOR missing IN SELECT id FROM users WHERE referral_code IS NULL LOOP
        LOOP
            BEGIN
                UPDATE users
                SET referral_code = (
                    SELECT string_agg(substr('{_ALPHABET}', 1 + floor(random() * {len(_ALPHABET)})::int, 1), '')
                    FROM generate_series(1, {_LENGTH})
                )
                WHERE id = missing;
                EXIT;
            EXCEPTION WHEN unique_violation THEN
                -- drawn code already held by another user: draw again
            END;
        END LOOP;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.execute(_BACKFILL)
    op.execute("UPDATE users SET referred_by_user_id = NULL WHERE referred_by_user_id = id")
    op.create_check_constraint(op.f("ck_users_not_self_referred"), "users", "referred_by_user_id <> id")
    op.create_index(
        "ix_users_referred_by_created",
        "users",
        ["referred_by_user_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("referred_by_user_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_referred_by_created", table_name="users")
    op.drop_constraint(op.f("ck_users_not_self_referred"), "users", type_="check")
