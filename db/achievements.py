"""Badge evaluation's statements (§3.7): the active catalogue, every condition count for a set of
users in ONE statement, and ONE insert of all the unlocks that set earned.

`condition_counts` answers one row per user (active accounts among the ids given), each count read
through an index on the user's own rows:
- check-ins: the (user_id, status, check_in_date) index, completed rows only: their number and the
  distinct local days among the last 7/30/90/180/365 local days (today included, the user's zone);
- goals: (user_id, status): how many exist (any status) and the user streak, the largest
  current_streak of an active goal (§3.3);
- accepted partnerships on either side: (user_id, status) and (partner_user_id, status), with the
  partners themselves, so the partner notices need no second look-up;
- social_nudges sent, by type: (sender_id, recipient_id, nudge_date, nudge_type);
- the badges already unlocked: UNIQUE (user_id, achievement_type_id);
- account age: local today minus the local date of users.created_at.
- recaps viewed: weekly_recaps with viewed_at set, through (user_id, week_start).
- challenges: the user's memberships through (user_id, joined_at), each joined to its challenge by
  primary key: challenge_count = memberships, challenge_won = completed challenges whose
  metadata.winner_user_ids holds the user (ties count, §3.7).
ai_conversations stays 0: its table arrives with the AI coach (issue 13), and joins this statement then.

`insert_unlocks` writes them with ON CONFLICT (user_id, achievement_type_id) DO NOTHING RETURNING:
two evaluations racing for the same badge leave one row, and only the one that inserted it sees it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import (
    accountability_partners,
    achievement_types,
    challenge_participants,
    challenges,
    check_ins,
    goals,
    social_nudges,
    user_achievements,
    users,
    weekly_recaps,
)
from db.users import ACTIVE_STATUS
from domain.achievements import PERFECT_WINDOWS, ConditionCounts, UnlockCondition
from domain.goal_rules import GoalStatus
from domain.nudges import NudgeType
from domain.streaks import AnswerStatus

__all__ = [
    "AchievementTypeRow",
    "CreatedPosition",
    "InsertedUnlock",
    "NewUnlock",
    "PartnerLink",
    "UserConditions",
    "active_achievement_types",
    "condition_counts",
    "insert_unlocks",
    "users_created_between",
]

_UUID = postgresql.UUID(as_uuid=True)
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class AchievementTypeRow:
    id: UUID
    badge_key: str
    badge_name: str
    badge_description: str | None
    badge_icon: str | None
    unlock_condition: dict[str, Any]
    category: str
    rarity: str
    points: int
    sort_order: int
    is_active: bool

    # The stored condition, parsed once per row (evaluation reads it for every user). The CHECK only
    # asks for a number: a fractional value N unlocks at the first whole count ≥ N.
    condition: UnlockCondition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        condition = UnlockCondition(
            str(self.unlock_condition["type"]), math.ceil(float(self.unlock_condition["value"]))
        )
        object.__setattr__(self, "condition", condition)


ACHIEVEMENT_TYPE_COLUMNS: Final = (
    achievement_types.c.id,
    achievement_types.c.badge_key,
    achievement_types.c.badge_name,
    achievement_types.c.badge_description,
    achievement_types.c.badge_icon,
    achievement_types.c.unlock_condition,
    achievement_types.c.category,
    achievement_types.c.rarity,
    achievement_types.c.points,
    achievement_types.c.sort_order,
    achievement_types.c.is_active,
)


def _catalogue_version() -> sa.ScalarSelect[Any]:
    """A digest of every active badge row (all columns): it changes with any change to the active
    catalogue, so a cached copy is reused exactly as long as it is current."""
    badge = achievement_types.alias("badge")
    return (
        sa.select(
            sa.func.md5(
                sa.func.coalesce(
                    sa.func.string_agg(
                        sa.cast(sa.literal_column("badge"), sa.Text),
                        aggregate_order_by(sa.literal(","), badge.c.id),
                    ),
                    "",
                )
            )
        )
        .where(badge.c.is_active)
        .scalar_subquery()
    )


_ACTIVE_TYPES: Final = (
    sa.select(*ACHIEVEMENT_TYPE_COLUMNS, _catalogue_version().label("catalogue_version"))
    .where(achievement_types.c.is_active)
    .order_by(achievement_types.c.sort_order, achievement_types.c.id)
)


@dataclass(frozen=True, slots=True)
class ActiveCatalogue:
    version: str
    badges: tuple[AchievementTypeRow, ...]


class ActiveCatalogueCache:
    """The active badges of the last version seen by this process (every evaluation would otherwise
    read and decode the whole catalogue again; the counts statement reports the current version)."""

    def __init__(self) -> None:
        self._catalogue = ActiveCatalogue(version="", badges=())

    async def get(self, connection: AsyncConnection, version: str) -> tuple[AchievementTypeRow, ...]:
        """The active badges at `version`, read again when the cached copy is of another version."""
        if self._catalogue.version != version:
            # Two concurrent misses may both load; the reads are identical and cheap, so no lock.
            rows = (await connection.execute(_ACTIVE_TYPES)).all()
            badges = tuple(
                AchievementTypeRow(
                    **{key: value for key, value in row._mapping.items() if key != "catalogue_version"}
                )
                for row in rows
            )
            self._catalogue = ActiveCatalogue(rows[0].catalogue_version if rows else version, badges)
        return self._catalogue.badges


_PROCESS_CACHE: Final = ActiveCatalogueCache()


async def active_achievement_types(
    connection: AsyncConnection, version: str
) -> tuple[AchievementTypeRow, ...]:
    """Every active badge, in sort order, as of the catalogue `version` (`UserConditions`): from the
    process cache, or one statement when the catalogue changed since it was filled."""
    return await _PROCESS_CACHE.get(connection, version)


@dataclass(frozen=True, slots=True)
class PartnerLink:
    partner_id: UUID
    partnership_id: UUID


@dataclass(frozen=True, slots=True)
class UserConditions:
    user_id: UUID
    name: str
    counts: ConditionCounts
    unlocked_type_ids: frozenset[UUID]
    # The digest of the active catalogue when the counts were read (`active_achievement_types`).
    catalogue_version: str
    partners: tuple[PartnerLink, ...]


def _build_counts_statement(chosen: sa.ColumnElement[bool]) -> sa.Select[Any]:
    # The user's local today, computed once per user: OFFSET keeps PostgreSQL from inlining the
    # expression into every comparison below (ten time-zone conversions per completed day).
    local = (
        sa.select(sa.cast(sa.func.timezone(users.c.timezone, _NOW), sa.Date).label("today"))
        .offset(0)
        .correlate(users)
        .lateral("local")
    )
    today = local.c.today
    # One row per completed day first: the index yields a user's completed rows in date order, so the
    # grouping needs no sort, and the windows below are plain filtered counts (five DISTINCT
    # aggregates would sort the rows five times).
    days = (
        sa.select(check_ins.c.check_in_date.label("day"), sa.func.count().label("completed"))
        .where(check_ins.c.user_id == users.c.id, check_ins.c.status == AnswerStatus.COMPLETED.value)
        .group_by(check_ins.c.check_in_date)
        .correlate(users)
        .subquery("days")
    )
    completed = (
        sa.select(
            sa.cast(sa.func.coalesce(sa.func.sum(days.c.completed), 0), sa.BigInteger).label("checkin_count"),
            *(
                sa.func.count()
                .filter(days.c.day > today - window, days.c.day <= today)
                .label(f"perfect_{window}")
                for window in PERFECT_WINDOWS
            ),
        )
        .select_from(days)
        .lateral("completed")
    )
    active = goals.c.status == GoalStatus.ACTIVE.value
    goal_counts = (
        sa.select(
            sa.func.count().label("goal_count"),
            sa.func.coalesce(sa.func.max(goals.c.current_streak).filter(active), 0).label("streak"),
        )
        .where(goals.c.user_id == users.c.id)
        .lateral("goal_counts")
    )
    partnership = accountability_partners.c
    partners = (
        sa.select(
            sa.func.array_agg(
                sa.case(
                    (partnership.user_id == users.c.id, partnership.partner_user_id),
                    else_=partnership.user_id,
                )
            ).label("partner_ids"),
            sa.func.array_agg(partnership.id).label("partnership_ids"),
        )
        .where(
            sa.or_(partnership.user_id == users.c.id, partnership.partner_user_id == users.c.id),
            partnership.status == "accepted",
        )
        .lateral("partners")
    )
    nudge_type = social_nudges.c.nudge_type
    nudges = (
        sa.select(
            sa.func.count().filter(nudge_type == NudgeType.NUDGE.value).label("nudges_sent"),
            sa.func.count().filter(nudge_type == NudgeType.CHEER.value).label("cheers_sent"),
        )
        .where(
            social_nudges.c.sender_id == users.c.id,
            nudge_type.in_([NudgeType.NUDGE.value, NudgeType.CHEER.value]),
        )
        .lateral("nudges")
    )
    unlocked = (
        sa.select(sa.func.array_agg(user_achievements.c.achievement_type_id))
        .where(user_achievements.c.user_id == users.c.id)
        .scalar_subquery()
    )
    recaps_viewed = (
        sa.select(sa.func.count())
        .where(weekly_recaps.c.user_id == users.c.id, weekly_recaps.c.viewed_at.is_not(None))
        .scalar_subquery()
    )
    memberships = (
        sa.select(
            sa.func.count().label("challenge_count"),
            sa.func.count()
            .filter(
                challenges.c.status == "completed",
                challenges.c.metadata["winner_user_ids"].op("?")(sa.cast(users.c.id, sa.Text)),
            )
            .label("challenge_won"),
        )
        .select_from(
            challenge_participants.join(challenges, challenges.c.id == challenge_participants.c.challenge_id)
        )
        .where(challenge_participants.c.user_id == users.c.id)
        .lateral("memberships")
    )
    account_age = today - sa.cast(sa.func.timezone(users.c.timezone, users.c.created_at), sa.Date)
    return (
        sa.select(
            users.c.id.label("user_id"),
            users.c.name,
            completed,
            goal_counts.c.goal_count,
            goal_counts.c.streak,
            partners.c.partner_ids,
            partners.c.partnership_ids,
            nudges.c.nudges_sent,
            nudges.c.cheers_sent,
            account_age.label("account_age"),
            recaps_viewed.label("recaps_viewed"),
            memberships.c.challenge_count,
            memberships.c.challenge_won,
            unlocked.label("unlocked_type_ids"),
            _catalogue_version().label("catalogue_version"),
        )
        .select_from(users)
        .join(local, sa.true())
        .join(completed, sa.true())
        .join(goal_counts, sa.true())
        .join(partners, sa.true())
        .join(nudges, sa.true())
        .join(memberships, sa.true())
        .where(chosen, users.c.status == ACTIVE_STATUS)
        .order_by(users.c.id)
    )


_CONDITION_COUNTS: Final = _build_counts_statement(
    users.c.id == sa.any_(sa.bindparam("user_ids", type_=ARRAY(_UUID)))
)
# The same for one user (every check-in and new goal): PostgreSQL cannot size an array parameter in a
# generic plan, so it would plan the statement afresh on every call (0.45 ms of its 1 ms); with a
# plain id it keeps one generic plan after a few calls.
_ONE_USER_COUNTS: Final = _build_counts_statement(users.c.id == sa.bindparam("user_id", type_=_UUID))


async def condition_counts(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> list[UserConditions]:
    """Each active user's counts at `now` (one statement for the whole set), by user id."""
    if len(user_ids) == 1:
        result = await connection.execute(_ONE_USER_COUNTS, {"user_id": user_ids[0], "now": now})
    else:
        result = await connection.execute(_CONDITION_COUNTS, {"user_ids": list(user_ids), "now": now})
    return [_user_conditions(row._mapping) for row in result]


def _user_conditions(row: Mapping[str, Any]) -> UserConditions:
    counts = ConditionCounts(
        checkin_count=row["checkin_count"],
        goal_count=row["goal_count"],
        partner_count=len(row["partner_ids"] or ()),
        streak=row["streak"],
        perfect_days={window: row[f"perfect_{window}"] for window in PERFECT_WINDOWS},
        nudges_sent=row["nudges_sent"],
        cheers_sent=row["cheers_sent"],
        account_age=max(row["account_age"], 0),
        recaps_viewed=row["recaps_viewed"],
        challenge_count=row["challenge_count"],
        challenge_won=row["challenge_won"],
    )
    partners = tuple(
        PartnerLink(partner_id, partnership_id)
        for partner_id, partnership_id in zip(
            row["partner_ids"] or (), row["partnership_ids"] or (), strict=True
        )
    )
    return UserConditions(
        user_id=row["user_id"],
        name=row["name"],
        counts=counts,
        unlocked_type_ids=frozenset(row["unlocked_type_ids"] or ()),
        catalogue_version=row["catalogue_version"],
        partners=partners,
    )


@dataclass(frozen=True, slots=True)
class NewUnlock:
    user_id: UUID
    achievement_type_id: UUID
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InsertedUnlock:
    id: UUID
    user_id: UUID
    achievement_type_id: UUID
    unlocked_at: datetime
    metadata: dict[str, Any]


def _build_insert_statement() -> sa.Insert:
    unlock = (
        sa.func.unnest(
            sa.bindparam("user_ids", type_=ARRAY(_UUID)),
            sa.bindparam("type_ids", type_=ARRAY(_UUID)),
            sa.bindparam("metadata_json", type_=ARRAY(sa.Text)),
        )
        .table_valued(
            sa.column("user_id", _UUID),
            sa.column("type_id", _UUID),
            sa.column("metadata_json", sa.Text),
            name="unlock",
        )
        .render_derived()
    )
    return (
        postgresql.insert(user_achievements)
        .from_select(
            ["user_id", "achievement_type_id", "metadata", "unlocked_at"],
            sa.select(unlock.c.user_id, unlock.c.type_id, sa.cast(unlock.c.metadata_json, JSONB), _NOW)
            .select_from(unlock)
            # A user deleted meanwhile writes nothing (and cannot break the foreign key).
            .join(users, users.c.id == unlock.c.user_id),
        )
        .on_conflict_do_nothing(
            index_elements=[user_achievements.c.user_id, user_achievements.c.achievement_type_id]
        )
        .returning(
            user_achievements.c.id,
            user_achievements.c.user_id,
            user_achievements.c.achievement_type_id,
            user_achievements.c.unlocked_at,
            user_achievements.c.metadata,
        )
    )


_INSERT_UNLOCKS: Final = _build_insert_statement()


async def insert_unlocks(
    connection: AsyncConnection, unlocks: Sequence[NewUnlock], *, now: datetime
) -> list[InsertedUnlock]:
    """Write every unlock in one statement; returns the rows actually inserted (a badge the user
    already has, from another evaluation that committed first, is left out)."""
    if not unlocks:
        return []
    result = await connection.execute(
        _INSERT_UNLOCKS,
        {
            "user_ids": [unlock.user_id for unlock in unlocks],
            "type_ids": [unlock.achievement_type_id for unlock in unlocks],
            "metadata_json": [json.dumps(unlock.metadata) for unlock in unlocks],
            "now": now,
        },
    )
    return [InsertedUnlock(**row._mapping) for row in result]


@dataclass(frozen=True, slots=True)
class CreatedPosition:
    """A user by creation instant: the keyset of the account-age sweep."""

    created_at: datetime
    id: UUID


async def users_created_between(
    connection: AsyncConnection,
    start: datetime,
    end: datetime,
    *,
    after: CreatedPosition | None,
    limit: int,
) -> list[CreatedPosition]:
    """Up to `limit` active users created strictly between `start` and `end`, in (created_at, id)
    order after the position (the users (created_at, id) index)."""
    key = sa.tuple_(users.c.created_at, users.c.id)
    query = (
        sa.select(users.c.created_at, users.c.id)
        .where(users.c.created_at > start, users.c.created_at < end, users.c.status == ACTIVE_STATUS)
        .order_by(users.c.created_at, users.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            key
            > sa.tuple_(
                sa.literal(after.created_at, users.c.created_at.type), sa.literal(after.id, users.c.id.type)
            )
        )
    return [CreatedPosition(row.created_at, row.id) for row in await connection.execute(query)]
