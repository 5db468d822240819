"""The users whose daily motivation the ahead-of-morning job (workers/jobs/daily_motivations.py) writes
next, claimed so that overlapping or repeated runs never take a user twice.

Users are reached through the partial index on users.next_morning_motivation_at (NULL when the morning
notice is off or the user is not onboarded): one index range scan whatever the number of users. The
claims live in daily_motivation_claims, so a claim never locks a users row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.tables import daily_motivation_claims, daily_motivations, users

__all__ = ["claim_morning_motivations"]


async def claim_morning_motivations(
    connection: AsyncConnection, *, now: datetime, lead: timedelta, lease: timedelta, limit: int
) -> list[tuple[UUID, date]]:
    """Claim up to `limit` active users whose morning motivation instant falls in (now, now + lead] and
    who have no row for that morning's local date, unless another claim younger than `lease` holds
    them; returns (user, local date) pairs, earliest morning first."""
    morning = users.c.next_morning_motivation_at
    morning_date = local_date_at(users.c.timezone, morning)
    fresh_claim = (
        sa.select(daily_motivation_claims.c.user_id)
        .where(
            daily_motivation_claims.c.user_id == users.c.id,
            daily_motivation_claims.c.claimed_at > now - lease,
        )
        .exists()
    )
    written = (
        sa.select(daily_motivations.c.id)
        .where(daily_motivations.c.user_id == users.c.id, daily_motivations.c.date == morning_date)
        .exists()
    )
    due = (
        sa.select(users.c.id, morning_date, sa.literal(now, sa.DateTime(timezone=True)))
        .where(
            morning > now,
            morning <= now + lead,
            users.c.status == "active",
            ~written,
            ~fresh_claim,
        )
        .order_by(morning)
        .limit(limit)
    )
    upsert = insert(daily_motivation_claims).from_select(["user_id", "local_date", "claimed_at"], due)
    statement = upsert.on_conflict_do_update(
        index_elements=[daily_motivation_claims.c.user_id],
        set_={"local_date": upsert.excluded.local_date, "claimed_at": upsert.excluded.claimed_at},
        where=daily_motivation_claims.c.claimed_at <= now - lease,
    ).returning(daily_motivation_claims.c.user_id, daily_motivation_claims.c.local_date)
    return [(row.user_id, row.local_date) for row in await connection.execute(statement)]
