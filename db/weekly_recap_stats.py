"""What a weekly recap is made of (§3.12 inputs), read for a whole chunk of users at once.

`recap_facts` takes (user, week_start) targets, each user's own local Monday, and runs six statements
whatever the number of users, each joining the targets (`unnest` of two arrays) to the users' rows
through their indexes:
- the subjects: name, style, plan, active goals and their streak maxima, whether the recap exists;
- per goal, the recap week's occurrences: (user_id, check_in_date) index;
- per week, the four trend weeks (the recap week and the three before, which hold the previous week);
- per ISO weekday, the recap week's occurrences (strongest / weakest day);
- badges unlocked in the window, from local Monday 00:00 to the next one in the user's zone:
  (user_id, unlocked_at) index;
- accepted partners with an active account and their best active-goal streak: (user_id, status) and
  (partner_user_id, status).
Shaping the numbers is domain/weekly_recaps.py's job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TableValuedAlias

from db.tables import (
    accountability_partners,
    achievement_types,
    check_ins,
    goals,
    user_achievements,
    users,
    weekly_recaps,
)
from db.users import ACTIVE_STATUS
from domain.goal_rules import GoalStatus
from domain.streaks import ANSWERED_STATUSES, CheckInStatus
from domain.weekly_recaps import (
    TREND_WEEKS,
    BadgeUnlocked,
    GoalWeek,
    PartnerStreak,
    RecapFacts,
    RecapSubject,
    WeekCounts,
    WeekdayCounts,
)

__all__ = ["RecapTarget", "recap_facts"]

_UUID = postgresql.UUID(as_uuid=True)


@dataclass(frozen=True, slots=True)
class RecapTarget:
    user_id: UUID
    week_start: date  # the local Monday of the week to recap


def _targets() -> TableValuedAlias:
    return (
        sa.func.unnest(
            sa.bindparam("user_ids", type_=ARRAY(_UUID)), sa.bindparam("week_starts", type_=ARRAY(sa.Date))
        )
        .table_valued(sa.column("user_id", _UUID), sa.column("week_start", sa.Date), name="target")
        .render_derived()
    )


def _subjects_statement() -> sa.Select[Any]:
    target = _targets()
    active = goals.c.status == GoalStatus.ACTIVE.value
    goal_counts = (
        sa.select(
            sa.func.count().filter(active).label("active_goals"),
            sa.func.coalesce(sa.func.max(goals.c.current_streak).filter(active), 0).label("current_streak"),
            sa.func.coalesce(sa.func.max(goals.c.longest_streak).filter(active), 0).label("longest_streak"),
        )
        .where(goals.c.user_id == users.c.id)
        .lateral("goal_counts")
    )
    has_recap = (
        sa.select(weekly_recaps.c.id)
        .where(weekly_recaps.c.user_id == target.c.user_id, weekly_recaps.c.week_start == target.c.week_start)
        .exists()
    )
    return (
        sa.select(
            target.c.user_id,
            target.c.week_start,
            users.c.name,
            users.c.motivation_style,
            users.c.plan,
            goal_counts.c.active_goals,
            goal_counts.c.current_streak,
            goal_counts.c.longest_streak,
            has_recap.label("has_recap"),
        )
        .select_from(target.join(users, users.c.id == target.c.user_id).join(goal_counts, sa.true()))
        .where(users.c.status == ACTIVE_STATUS)
    )


def _in_window(target: TableValuedAlias, *, weeks_before: int = 0) -> sa.ColumnElement[bool]:
    """The target user's rows from `weeks_before` weeks before the recap week to its Sunday."""
    return sa.and_(
        check_ins.c.user_id == target.c.user_id,
        check_ins.c.check_in_date >= target.c.week_start - 7 * weeks_before,
        check_ins.c.check_in_date <= target.c.week_start + 6,
    )


def _status_is(status: CheckInStatus) -> sa.ColumnElement[bool]:
    return check_ins.c.status == status.value


def _goal_weeks_statement() -> sa.Select[Any]:
    target = _targets()
    completed = _status_is(CheckInStatus.COMPLETED)
    return (
        sa.select(
            target.c.user_id,
            goals.c.id.label("goal_id"),
            goals.c.title,
            goals.c.status,
            goals.c.current_streak,
            goals.c.longest_streak,
            sa.func.count().label("scheduled"),
            sa.func.count().filter(completed).label("completed"),
        )
        .select_from(
            target.join(check_ins, _in_window(target)).join(goals, goals.c.id == check_ins.c.goal_id)
        )
        .group_by(target.c.user_id, goals.c.id)
    )


def _weeks_statement() -> sa.Select[Any]:
    target = _targets()
    # 0 for the recap week, 1 for the one before… (date − date is a whole number of days).
    days_before_sunday = sa.cast(target.c.week_start + 6 - check_ins.c.check_in_date, sa.Integer)
    weeks_ago = (days_before_sunday // 7).label("weeks_ago")
    completed = _status_is(CheckInStatus.COMPLETED)
    answered = check_ins.c.status.in_(sorted(status.value for status in ANSWERED_STATUSES))
    return (
        sa.select(
            target.c.user_id,
            weeks_ago,
            sa.func.count().label("scheduled"),
            sa.func.count().filter(completed).label("completed"),
            sa.func.count().filter(answered).label("answered"),
            sa.func.count().filter(_status_is(CheckInStatus.REST_DAY)).label("rest_days"),
            *(
                sa.func.count().filter(check_ins.c.mood == mood).label(mood)
                for mood in ("tough", "good", "amazing")
            ),
        )
        .select_from(target.join(check_ins, _in_window(target, weeks_before=TREND_WEEKS - 1)))
        .group_by(target.c.user_id, weeks_ago)
    )


def _weekdays_statement() -> sa.Select[Any]:
    target = _targets()
    iso_weekday = sa.cast(sa.extract("isodow", check_ins.c.check_in_date), sa.Integer).label("iso_weekday")
    return (
        sa.select(
            target.c.user_id,
            iso_weekday,
            sa.func.count().label("scheduled"),
            sa.func.count().filter(_status_is(CheckInStatus.COMPLETED)).label("completed"),
        )
        .select_from(target.join(check_ins, _in_window(target)))
        .group_by(target.c.user_id, iso_weekday)
    )


def _local_midnight(day: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The instant a local date starts in the user's zone (PostgreSQL's timezone(zone, timestamp))."""
    return sa.func.timezone(users.c.timezone, sa.cast(day, sa.DateTime))


def _badges_statement() -> sa.Select[Any]:
    target = _targets()
    return (
        sa.select(
            target.c.user_id,
            achievement_types.c.badge_key,
            achievement_types.c.badge_name,
            achievement_types.c.badge_description.label("description"),
            achievement_types.c.category,
            achievement_types.c.rarity,
            user_achievements.c.unlocked_at,
        )
        .select_from(
            target.join(users, users.c.id == target.c.user_id)
            .join(
                user_achievements,
                sa.and_(
                    user_achievements.c.user_id == target.c.user_id,
                    user_achievements.c.unlocked_at >= _local_midnight(target.c.week_start),
                    user_achievements.c.unlocked_at < _local_midnight(target.c.week_start + 7),
                ),
            )
            .join(achievement_types, achievement_types.c.id == user_achievements.c.achievement_type_id)
        )
        .order_by(target.c.user_id, user_achievements.c.unlocked_at, achievement_types.c.sort_order)
    )


def _partners_statement() -> sa.Select[Any]:
    target = _targets()
    partnership = accountability_partners.c
    partner = users.alias("partner")
    partner_id = sa.case(
        (partnership.user_id == target.c.user_id, partnership.partner_user_id), else_=partnership.user_id
    )
    best_streak = (
        sa.select(sa.func.coalesce(sa.func.max(goals.c.current_streak), 0))
        .where(goals.c.user_id == partner.c.id, goals.c.status == GoalStatus.ACTIVE.value)
        .scalar_subquery()
    )
    return (
        sa.select(
            target.c.user_id,
            partner.c.id.label("partner_id"),
            partner.c.name.label("partner_name"),
            best_streak.label("partner_streak"),
            partnership.id.label("partnership_id"),
        )
        .select_from(
            target.join(
                accountability_partners,
                sa.and_(
                    sa.or_(
                        partnership.user_id == target.c.user_id,
                        partnership.partner_user_id == target.c.user_id,
                    ),
                    partnership.status == "accepted",
                ),
            ).join(partner, partner.c.id == partner_id)
        )
        .where(partner.c.status == ACTIVE_STATUS)
        .order_by(target.c.user_id, partnership.accepted_at, partnership.id)
    )


_SUBJECTS: Final = _subjects_statement()
_GOAL_WEEKS: Final = _goal_weeks_statement()
_WEEKS: Final = _weeks_statement()
_WEEKDAYS: Final = _weekdays_statement()
_BADGES: Final = _badges_statement()
_PARTNERS: Final = _partners_statement()


async def recap_facts(connection: AsyncConnection, targets: Sequence[RecapTarget]) -> list[RecapFacts]:
    """The facts of every target whose user still exists and is active (six statements in all)."""
    if not targets:
        return []
    parameters = {
        "user_ids": [target.user_id for target in targets],
        "week_starts": [target.week_start for target in targets],
    }
    subjects = [RecapSubject(**row._mapping) for row in await connection.execute(_SUBJECTS, parameters)]
    if not subjects:
        return []
    goal_weeks = await _grouped(connection, _GOAL_WEEKS, parameters, GoalWeek)
    weeks = await _grouped(connection, _WEEKS, parameters, WeekCounts)
    weekdays = await _grouped(connection, _WEEKDAYS, parameters, WeekdayCounts)
    badges = await _grouped(connection, _BADGES, parameters, BadgeUnlocked)
    partners = await _grouped(connection, _PARTNERS, parameters, PartnerStreak)
    return [
        RecapFacts(
            subject=subject,
            goals=goal_weeks[subject.user_id],
            weeks=weeks[subject.user_id],
            weekdays=weekdays[subject.user_id],
            badges=badges[subject.user_id],
            partners=partners[subject.user_id],
        )
        for subject in subjects
    ]


async def _grouped(
    connection: AsyncConnection, statement: sa.Select[Any], parameters: dict[str, Any], kind: type[Any]
) -> defaultdict[UUID, list[Any]]:
    """The statement's rows as `kind`, by the user they belong to (each row's first column)."""
    grouped: defaultdict[UUID, list[Any]] = defaultdict(list)
    for row in await connection.execute(statement, parameters):
        user_id, *fields = row
        grouped[user_id].append(kind(*fields))
    return grouped
