"""Challenge rows inserted directly (a challenge with N participants and their leaderboard rows, invites,
invite inbox rows), for tests and benchmarks that start below the challenge routes.

Each helper is a constant number of statements whatever the number of participants (arrays through
`unnest`), so a benchmark can build 50 challenges × 2,000 participants in seconds.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import (
    challenge_invites,
    challenge_leaderboard,
    challenge_participants,
    challenges,
    notification_history,
)
from domain.challenge_notices import challenge_invite_key, challenge_invite_notification

__all__ = ["insert_challenge", "insert_invite", "insert_invite_inbox_row", "insert_participants"]

DIRECT_INVITE_LIFETIME = timedelta(days=7)
LINK_INVITE_LIFETIME = timedelta(days=30)


async def insert_challenge(
    connection: AsyncConnection,
    creator_id: UUID | None,
    participant_ids: Sequence[UUID] = (),
    *,
    points: Sequence[int] | None = None,
    joined_at: datetime | None = None,
    **columns: Any,
) -> UUID:
    """A challenge created by `creator_id` (upcoming, streak, 30 days from today, UTC, public unless
    `columns` say otherwise), with the creator as first participant and then `participant_ids` in
    order, each with a leaderboard row. Joins are 1 ms apart from `joined_at` (default now) in that
    order, so "the earliest join" is well defined. `points` gives each participant's points, creator
    first when there is one (default 0)."""
    start = columns.pop("start_date", date.today())
    duration = columns.pop("duration_days", 30)
    values: dict[str, Any] = {
        "title": "Team challenge",
        "challenge_type": "streak",
        "duration_days": duration,
        "start_date": start,
        "end_date": start + timedelta(days=duration - 1),
        "timezone": "UTC",
        "created_by": creator_id,
        **columns,
    }
    challenge_id: UUID = (
        await connection.execute(sa.insert(challenges).values(values).returning(challenges.c.id))
    ).scalar_one()
    members = ([creator_id] if creator_id else []) + list(participant_ids)
    await insert_participants(connection, challenge_id, members, points=points, joined_at=joined_at)
    return challenge_id


async def insert_participants(
    connection: AsyncConnection,
    challenge_id: UUID,
    user_ids: Sequence[UUID],
    *,
    points: Sequence[int] | None = None,
    joined_at: datetime | None = None,
) -> None:
    """Memberships and leaderboard rows for `user_ids` (two statements), joined 1 ms apart in order."""
    if not user_ids:
        return
    scores = list(points) if points is not None else [0] * len(user_ids)
    if len(scores) != len(user_ids):
        raise ValueError("one score per participant")
    first_join = joined_at or datetime.now(UTC)
    members = (
        sa.func.unnest(
            sa.bindparam("user_ids", list(user_ids), type_=ARRAY(PG_UUID(as_uuid=True))),
            sa.bindparam("points", scores, type_=ARRAY(sa.Integer)),
        )
        .table_valued("user_id", "points", with_ordinality="n")
        .render_derived()
    )
    await connection.execute(
        sa.insert(challenge_participants).from_select(
            ["challenge_id", "user_id", "joined_at"],
            sa.select(
                sa.literal(challenge_id, PG_UUID(as_uuid=True)),
                members.c.user_id,
                sa.literal(first_join, sa.DateTime(timezone=True))
                + members.c.n * sa.text("interval '1 millisecond'"),
            ),
        )
    )
    await connection.execute(
        sa.insert(challenge_leaderboard).from_select(
            ["challenge_id", "user_id", "points", "checkin_count"],
            sa.select(
                sa.literal(challenge_id, PG_UUID(as_uuid=True)),
                members.c.user_id,
                members.c.points,
                sa.literal(0),
            ),
        )
    )


async def insert_invite(
    connection: AsyncConnection,
    challenge_id: UUID,
    invited_by: UUID,
    invited_user_id: UUID | None,
    *,
    invite_type: str = "direct",
    status: str = "pending",
    expires_at: datetime | None = None,
    invite_code: str | None = None,
) -> UUID:
    """A direct invite (7 days) or a link (30 days, with a code) created now unless `expires_at` says."""
    lifetime = DIRECT_INVITE_LIFETIME if invite_type == "direct" else LINK_INVITE_LIFETIME
    invite_id: UUID = (
        await connection.execute(
            sa.insert(challenge_invites)
            .values(
                challenge_id=challenge_id,
                invite_type=invite_type,
                invited_by_user_id=invited_by,
                invited_user_id=invited_user_id,
                invite_code=invite_code or (secrets.token_urlsafe(9) if invite_type == "link" else None),
                status=status,
                expires_at=expires_at or datetime.now(UTC) + lifetime,
            )
            .returning(challenge_invites.c.id)
        )
    ).scalar_one()
    return invite_id


async def insert_invite_inbox_row(
    connection: AsyncConnection,
    user_id: UUID,
    challenge_id: UUID,
    invite_id: UUID,
    inviter_id: UUID,
    *,
    expires_at: datetime,
) -> UUID:
    """The challenge_invite inbox row the invite route writes for `user_id`."""
    content = challenge_invite_notification(challenge_id, "Team challenge", invite_id, inviter_id, "Alex")
    notification_id: UUID = (
        await connection.execute(
            sa.insert(notification_history)
            .values(
                user_id=user_id,
                notification_type=content.notification_type.value,
                title=content.title,
                body=content.body,
                data=content.data,
                entity_type=content.entity_type.value if content.entity_type else None,
                entity_id=content.entity_id,
                dedupe_key=challenge_invite_key(invite_id, expires_at),
            )
            .returning(notification_history.c.id)
        )
    ).scalar_one()
    return notification_id
