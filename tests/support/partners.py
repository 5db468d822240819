"""Partnership rows inserted directly, for tests of features that need partners (nudges)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners

ACCEPTED_AT = datetime(2024, 1, 2, tzinfo=UTC)


async def make_partners(
    connection: AsyncConnection,
    requester_id: UUID,
    receiver_id: UUID,
    *,
    status: str = "accepted",
    blocked_by: UUID | None = None,
) -> UUID:
    """One row for the pair, sent by `requester_id`: accepted (accepted_at set), pending, or blocked
    (by `blocked_by`, the receiver unless told otherwise)."""
    if status == "blocked" and blocked_by is None:
        blocked_by = receiver_id
    partnership_id: UUID = (
        await connection.execute(
            sa.insert(accountability_partners)
            .values(
                user_id=requester_id,
                partner_user_id=receiver_id,
                initiated_by_user_id=requester_id,
                status=status,
                blocked_by=blocked_by,
                accepted_at=ACCEPTED_AT if status == "accepted" else None,
            )
            .returning(accountability_partners.c.id)
        )
    ).scalar_one()
    return partnership_id
