"""`make run` demo data for the partners screens: two more demo people, one an accepted partner of the
demo account and one with a pending request to it, and a nudge each way. Safe to run any number of
times (users by email, the partnership by its pair index, the nudges only with a new partnership).

Rows are inserted directly, as tests do: the partner routes are not needed to see the screens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import accountability_partners, goals, social_nudges, users
from domain.local_time import local_today
from services.transaction import Database

REQUEST_LIFETIME: Final = timedelta(days=30)
# (email, username, name): the accepted partner, then the one asking.
DEMO_PARTNER: Final = ("demo-partner@fitnudge.app", "demo_partner", "Alex Partner")
DEMO_ASKER: Final = ("demo-asker@fitnudge.app", "demo_asker", "Sam Asker")


async def _demo_person(connection: AsyncConnection, person: tuple[str, str, str], *, now: datetime) -> UUID:
    email, username, name = person
    await connection.execute(
        insert(users)
        .values(
            email=email,
            username=username,
            name=name,
            onboarding_completed_at=now,
            profile_picture_url="avatar_7",
        )
        .on_conflict_do_nothing()
    )
    user_id: UUID = (
        await connection.execute(sa.select(users.c.id).where(sa.func.lower(users.c.email) == email))
    ).scalar_one()
    return user_id


async def _link(
    connection: AsyncConnection, sender: UUID, receiver: UUID, *, accepted: bool, now: datetime
) -> UUID | None:
    """The pair's row, or None when it already existed (any direction, any status)."""
    result = await connection.execute(
        insert(accountability_partners)
        .values(
            user_id=sender,
            partner_user_id=receiver,
            initiated_by_user_id=sender,
            status="accepted" if accepted else "pending",
            created_at=now,
            accepted_at=now if accepted else None,
            expires_at=None if accepted else now + REQUEST_LIFETIME,
        )
        .on_conflict_do_nothing()
        .returning(accountability_partners.c.id)
    )
    partnership_id: UUID | None = result.scalar_one_or_none()
    return partnership_id


async def seed_demo_partners(database: Database, demo_user_id: UUID, *, now: datetime) -> None:
    """An accepted partner (with a goal, for the partner's dashboard) and a pending request for the demo
    account, and one nudge each way over the partnership."""
    async with database.transaction() as tx:
        connection = tx.connection
        partner = await _demo_person(connection, DEMO_PARTNER, now=now)
        asker = await _demo_person(connection, DEMO_ASKER, now=now)
        partnership = await _link(connection, partner, demo_user_id, accepted=True, now=now)
        await _link(connection, asker, demo_user_id, accepted=False, now=now)
        if partnership is None:
            return
        await connection.execute(
            sa.insert(goals).values(
                user_id=partner, title="Morning stretch", frequency_type="daily", reminder_times=["07:30"]
            )
        )
        today = local_today("UTC", now)  # both demo people live in UTC
        await connection.execute(
            sa.insert(social_nudges),
            [
                {
                    "partnership_id": partnership,
                    "sender_id": partner,
                    "recipient_id": demo_user_id,
                    "nudge_type": "cheer",
                    "emoji": "🔥",
                    "message": "Great streak, keep going!",
                    "nudge_date": today,
                },
                {
                    "partnership_id": partnership,
                    "sender_id": demo_user_id,
                    "recipient_id": partner,
                    "nudge_type": "nudge",
                    "emoji": "👋",
                    "message": None,
                    "nudge_date": today,
                },
            ],
        )
