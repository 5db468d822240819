"""The read side of /check-ins: list positions, goal-today, stats, streaks and the calendar (§5).

Every "today" is the owner's local date (trap 3), and a pending row never counts as checked in (trap 4).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.checkins.schemas import CheckInCalendarOut, CheckInOut, CheckInStatsOut, GoalTodayOut, StreakOut
from api.pagination import Page, decode_cursor, encode_cursor, page_of, rows_to_skip
from db.checkins import (
    CheckInFilter,
    CheckInRow,
    GoalState,
    GoalStreakRow,
    active_goal_streaks,
    checkin_page,
    checkin_totals,
    checkins_between,
    goal_state,
    user_timezone,
)
from domain.errors import NotFound
from domain.goal_rules import GoalStatus
from domain.local_time import local_today
from domain.schedule import is_scheduled
from domain.streaks import ANSWERED_STATUSES, CheckInStatus, user_longest_streak, user_streak


async def require_goal(connection: AsyncConnection, *, user_id: UUID, goal_id: UUID) -> GoalState:
    goal = await goal_state(connection, user_id=user_id, goal_id=goal_id)
    if goal is None:
        raise NotFound("Goal not found.", code="goal_not_found")
    return goal


async def require_local_today(connection: AsyncConnection, *, user_id: UUID, now: datetime) -> date:
    timezone = await user_timezone(connection, user_id)
    if timezone is None:
        raise NotFound("User not found.", code="user_not_found")
    return local_today(timezone, now)


async def list_page(
    connection: AsyncConnection,
    selection: CheckInFilter,
    *,
    limit: int,
    cursor: str | None,
    offset: int | None,
    page: int | None,
) -> Page[CheckInRow]:
    """A page of rows, newest date first. The older client's `offset` (or 1-based `page`) is honoured
    only when no cursor is given; `offset` wins over `page`."""
    after: tuple[date, UUID] | None = None
    skip = 0
    if cursor is not None:
        after_date, after_id = decode_cursor(cursor, date, UUID)
        after = (after_date, after_id)
    else:
        skip = rows_to_skip(offset=offset, page=page, limit=limit)
    rows = await checkin_page(connection, selection, limit=limit + 1, after=after, offset=skip)
    return page_of(rows, limit, lambda row: encode_cursor(row.check_in_date, row.id))


async def goal_today(
    connection: AsyncConnection, *, user_id: UUID, goal_id: UUID, now: datetime
) -> GoalTodayOut:
    goal = await require_goal(connection, user_id=user_id, goal_id=goal_id)
    today = local_today(goal.timezone, now)
    rows = await checkin_page(
        connection,
        CheckInFilter(user_id=user_id, goal_id=goal_id, first_date=today, last_date=today),
        limit=1,
    )
    row = rows[0] if rows else None
    answered = row is not None and row.status in ANSWERED_STATUSES
    scheduled = is_scheduled(goal.frequency_type, goal.target_days, today)
    open_to_answer = row is None or row.status == CheckInStatus.PENDING
    return GoalTodayOut(
        goal_id=goal_id,
        date=today,
        has_checked_in=answered,
        check_in=None if row is None else CheckInOut.of(row),
        can_check_in=goal.status == GoalStatus.ACTIVE and scheduled and open_to_answer,
        is_scheduled_today=scheduled,
    )


def streak_of_user(rows: Sequence[GoalStreakRow]) -> StreakOut:
    """The user streak (§3.3): the highest current streak over active goals, the highest longest
    streak, the latest answer, and when the leading streak began (the earliest among tied goals)."""
    current = user_streak(row.current_streak for row in rows)
    starts = [
        row.streak_start_date
        for row in rows
        if current > 0 and row.current_streak == current and row.streak_start_date is not None
    ]
    answered = [row.last_checkin_date for row in rows if row.last_checkin_date is not None]
    last = max(answered, default=None)
    return StreakOut(
        current_streak=current,
        longest_streak=user_longest_streak(row.longest_streak for row in rows),
        last_check_in=last,
        last_check_in_date=last,
        streak_start=min(starts, default=None),
    )


def streak_of_goal(row: GoalStreakRow) -> StreakOut:
    return StreakOut(
        current_streak=row.current_streak,
        longest_streak=row.longest_streak,
        last_check_in=row.last_checkin_date,
        last_check_in_date=row.last_checkin_date,
        streak_start=row.streak_start_date,
    )


async def streak(connection: AsyncConnection, *, user_id: UUID, goal_id: UUID | None) -> StreakOut:
    if goal_id is not None:
        return streak_of_goal((await require_goal(connection, user_id=user_id, goal_id=goal_id)).streak)
    return streak_of_user(await active_goal_streaks(connection, user_id=user_id))


async def stats(
    connection: AsyncConnection, *, user_id: UUID, goal_id: UUID | None, now: datetime
) -> CheckInStatsOut:
    """Totals per status and the 7- and 30-local-day windows (today included), with the goal's streak
    or, without a goal, the user streak."""
    if goal_id is not None:
        goal = await require_goal(connection, user_id=user_id, goal_id=goal_id)
        today = local_today(goal.timezone, now)
        current = streak_of_goal(goal.streak)
    else:
        today = await require_local_today(connection, user_id=user_id, now=now)
        current = streak_of_user(await active_goal_streaks(connection, user_id=user_id))
    totals = await checkin_totals(
        connection,
        user_id=user_id,
        goal_id=goal_id,
        today=today,
        since_7d=today - timedelta(days=6),
        since_30d=today - timedelta(days=29),
    )
    settled = totals.completed + totals.skipped + totals.missed + totals.rest_day
    return CheckInStatsOut(
        goal_id=goal_id,
        total_checkins=settled,
        completed_checkins=totals.completed,
        total_check_ins=settled,
        completed_check_ins=totals.completed,
        skipped_checkins=totals.skipped,
        missed_checkins=totals.missed,
        rest_day_checkins=totals.rest_day,
        pending_checkins=totals.pending,
        completion_rate=round(totals.completed / settled * 100, 1) if settled else 0.0,
        current_streak=current.current_streak,
        longest_streak=current.longest_streak,
        checkins_last_7d=totals.settled_last_7d,
        completed_last_7d=totals.completed_last_7d,
        checkins_last_30d=totals.settled_last_30d,
        completed_last_30d=totals.completed_last_30d,
    )


async def month_calendar(
    connection: AsyncConnection, *, user_id: UUID, goal_id: UUID | None, year: int, month: int
) -> CheckInCalendarOut:
    """The rows of one month, grouped by local date (check_in_date already is the owner's local date,
    so the month's bounds are the user's). Days without rows are left out."""
    if goal_id is not None:
        await require_goal(connection, user_id=user_id, goal_id=goal_id)
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    rows = await checkins_between(
        connection, CheckInFilter(user_id=user_id, goal_id=goal_id, first_date=first, last_date=last)
    )
    days: dict[str, list[CheckInOut]] = {}
    for row in rows:
        days.setdefault(row.check_in_date.isoformat(), []).append(CheckInOut.of(row))
    return CheckInCalendarOut(year=year, month=month, days=days)
