"""Who may see a challenge (§3.6 Visibility): everyone a public one; a private one its creator, its
participants, the holders of a pending invite to it, and the accepted partners of a participant.
Anyone else gets 404, as for a challenge that does not exist.

`visible_to(me)` is the rule as one SQL condition on `challenges`, for any statement that reads
challenges (a detail, a list, a route under /challenges/{id}); `challenge_visible` asks it for one id.
`invited(me)` is its invitation clause alone: whoever sees a private challenge without being in it,
its creator or invited to it sees it as a partner (read-only, §3.6 Visibility).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, challenge_invites, challenge_participants, challenges

__all__ = ["challenge_visible", "invited", "visible_to"]


def invited(me: sa.ColumnElement[Any] | UUID) -> sa.Exists:
    """The user holds a pending invite to the `challenges` row (correlated)."""
    return (
        sa.exists()
        .where(
            challenge_invites.c.challenge_id == challenges.c.id,
            challenge_invites.c.invited_user_id == me,
            challenge_invites.c.status == "pending",
        )
        .correlate(challenges)
    )


def visible_to(me: sa.ColumnElement[Any] | UUID) -> sa.ColumnElement[bool]:
    """True for the `challenges` rows the user `me` may see (correlated to `challenges`)."""
    member = challenge_participants.alias("member")
    partnership = accountability_partners.c
    partner_inside = (
        sa.exists()
        .where(
            member.c.challenge_id == challenges.c.id,
            partnership.status == "accepted",
            sa.or_(
                sa.and_(partnership.user_id == me, partnership.partner_user_id == member.c.user_id),
                sa.and_(partnership.partner_user_id == me, partnership.user_id == member.c.user_id),
            ),
        )
        .correlate(challenges)
    )
    participant = (
        sa.exists()
        .where(
            challenge_participants.c.challenge_id == challenges.c.id,
            challenge_participants.c.user_id == me,
        )
        .correlate(challenges)
    )
    return sa.or_(
        challenges.c.is_public, challenges.c.created_by == me, participant, invited(me), partner_inside
    )


async def challenge_visible(connection: AsyncConnection, challenge_id: UUID, user_id: UUID) -> bool:
    """Whether the challenge exists and the user may see it (one statement)."""
    found = await connection.scalar(
        sa.select(sa.literal(True)).where(challenges.c.id == challenge_id, visible_to(user_id))
    )
    return bool(found)
