"""The partner dashboard (§3.4): the accepted partnership, the partner, their active goals and their
active challenges, with the partner's own "today" (users.timezone at the request's instant), in one
statement (the challenges as one JSON array column beside the goal rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partner_lists import PartnerGoal
from db.partnerships import PartnershipStatus
from db.tables import (
    accountability_partners,
    challenge_leaderboard,
    challenge_participants,
    challenges,
    check_ins,
    goals,
    users,
)
from domain.streaks import ANSWERED_STATUSES

__all__ = ["PartnerChallenge", "PartnerDashboardRows", "partner_dashboard"]

_ap = accountability_partners
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))
_PARTNER = sa.bindparam("partner_id", type_=users.c.id.type)
_ANSWERED = sa.bindparam(
    "answered_statuses",
    sorted(status.value for status in ANSWERED_STATUSES),
    type_=postgresql.ARRAY(check_ins.c.status.type),
)
_PARTNER_TODAY = sa.cast(sa.func.timezone(users.c.timezone, _NOW), sa.Date)
_GOAL_COLUMNS: Final = ("id", "user_id", "title", "status", "frequency_type", "target_days", "current_streak")

_CHALLENGE_KEYS: Final = ("id", "title", "status", "challenge_type", "duration_days", "target_checkins")
_lb = challenge_leaderboard.c
# The partner's active challenges, oldest start first, with their score and today's check-in.
_CHALLENGES: Final = (
    sa.select(
        sa.func.coalesce(
            sa.func.jsonb_agg(
                postgresql.aggregate_order_by(
                    sa.func.jsonb_build_object(
                        *(part for key in _CHALLENGE_KEYS for part in (key, challenges.c[key])),
                        "checkin_count",
                        _lb.checkin_count,
                        "logged_today",
                        sa.func.coalesce(_lb.last_check_in == _PARTNER_TODAY, sa.false()),
                        "participants_count",
                        sa.select(sa.func.count())
                        .where(challenge_participants.c.challenge_id == challenges.c.id)
                        .scalar_subquery(),
                    ),
                    challenges.c.start_date,
                    challenges.c.id,
                )
            ),
            sa.text("'[]'::jsonb"),
            type_=postgresql.JSONB,
        )
    )
    .select_from(challenge_leaderboard.join(challenges, challenges.c.id == _lb.challenge_id))
    .where(_lb.user_id == users.c.id, challenges.c.status == "active")
    .scalar_subquery()
)

# Built once with bound values (least/greatest of the pair: the unique pair index), one row per
# active goal, or one row with null goal columns when the partner has none.
_DASHBOARD: Final = (
    sa.select(
        _ap.c.id.label("partnership_id"),
        _ap.c.created_at.label("partnership_created_at"),
        users.c.id.label("partner_id"),
        users.c.name,
        users.c.username,
        users.c.profile_picture_url,
        (users.c.status == "active").label("is_active"),
        users.c.plan,
        _PARTNER_TODAY.label("partner_today"),
        _CHALLENGES.label("challenges"),
        *(goals.c[name].label(f"goal_{name}") for name in _GOAL_COLUMNS),
        sa.exists()
        .where(
            check_ins.c.goal_id == goals.c.id,
            check_ins.c.check_in_date == _PARTNER_TODAY,
            check_ins.c.status == sa.any_(_ANSWERED),
        )
        .label("goal_logged_today"),
    )
    .select_from(
        _ap.join(users, users.c.id == _PARTNER).outerjoin(
            goals, sa.and_(goals.c.user_id == users.c.id, goals.c.status == "active")
        )
    )
    .where(
        sa.func.least(_ap.c.user_id, _ap.c.partner_user_id)
        == sa.func.least(sa.bindparam("me", type_=users.c.id.type), _PARTNER),
        sa.func.greatest(_ap.c.user_id, _ap.c.partner_user_id)
        == sa.func.greatest(sa.bindparam("me", type_=users.c.id.type), _PARTNER),
        _ap.c.status == PartnershipStatus.ACCEPTED.value,
    )
    .order_by(goals.c.created_at.desc(), goals.c.id.desc())
)


@dataclass(frozen=True, slots=True)
class PartnerChallenge:
    """One of the partner's active challenges: what they scored and whether they checked in today."""

    id: UUID
    title: str
    status: str
    challenge_type: str
    duration_days: int
    target_checkins: int | None
    checkin_count: int
    logged_today: bool
    participants_count: int


@dataclass(frozen=True, slots=True)
class PartnerDashboardRows:
    partnership_id: UUID
    partnership_created_at: datetime
    partner_id: UUID
    name: str
    username: str
    profile_picture_url: str | None
    is_active: bool
    plan: str
    goals: list[PartnerGoal]
    challenges: list[PartnerChallenge]


def _goal(mapping: Any, today: date) -> PartnerGoal:
    values = {name: mapping[f"goal_{name}"] for name in _GOAL_COLUMNS}
    return PartnerGoal(**values, owner_today=today, logged_today=mapping["goal_logged_today"])


async def partner_dashboard(
    connection: AsyncConnection, me: UUID, partner_id: UUID, *, now: datetime
) -> PartnerDashboardRows | None:
    """None without an accepted partnership between the caller and `partner_id`."""
    if me == partner_id:
        return None
    rows = (await connection.execute(_DASHBOARD, {"me": me, "partner_id": partner_id, "now": now})).all()
    if not rows:
        return None
    first = rows[0]._mapping
    return PartnerDashboardRows(
        partnership_id=first["partnership_id"],
        partnership_created_at=first["partnership_created_at"],
        partner_id=first["partner_id"],
        name=first["name"],
        username=first["username"],
        profile_picture_url=first["profile_picture_url"],
        is_active=first["is_active"],
        plan=first["plan"],
        goals=[
            _goal(row._mapping, first["partner_today"]) for row in rows if row._mapping["goal_id"] is not None
        ],
        challenges=[PartnerChallenge(**{**item, "id": UUID(item["id"])}) for item in first["challenges"]],
    )
