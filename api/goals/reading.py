"""Goal reads: one goal, the list (keyset pages), per-goal stats and the summary across goals."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.goals.editing import goal_not_found
from api.goals.schemas import GoalOut, GoalsSummaryOut, GoalStatsOut
from api.goals.views import goal_out
from api.pagination import Page, decode_cursor, encode_cursor, page_of
from db.goals import GoalRow, goal_checkin_counts, goals_summary, list_goals, owned_goal, visible_goal


async def read_goal(connection: AsyncConnection, viewer_id: UUID, goal_id: UUID, *, now: datetime) -> GoalOut:
    goal = await visible_goal(connection, viewer_id, goal_id, now=now)
    if goal is None:
        raise goal_not_found()
    return goal_out(goal)


def _cursor_of(goal: GoalRow) -> str:
    return encode_cursor(goal.created_at, goal.id)


async def read_goal_page(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    now: datetime,
    active_only: bool,
    with_today_status: bool,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> Page[GoalOut]:
    """Newest first. A cursor wins; the older clients' `offset` is honoured only without one (§1.2)."""
    after = decode_cursor(cursor, datetime, UUID) if cursor is not None else None
    rows = await list_goals(
        connection,
        user_id,
        now=now,
        active_only=active_only,
        with_today_status=with_today_status,
        limit=limit + 1,
        after=(after[0], after[1]) if after is not None else None,
        offset=offset if after is None and offset is not None else 0,
    )
    page = page_of(rows, limit, _cursor_of)
    return Page(rows=[goal_out(row) for row in page.rows], next_cursor=page.next_cursor)


async def read_goal_stats(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, *, now: datetime
) -> GoalStatsOut:
    goal = await owned_goal(connection, user_id, goal_id, now=now)
    if goal is None:
        raise goal_not_found()
    counts = await goal_checkin_counts(connection, user_id, goal_id, today=goal.owner_today)
    rate = counts.completed / counts.answered_or_missed * 100 if counts.answered_or_missed else 0.0
    return GoalStatsOut(
        goal_id=goal.id,
        title=goal.title,
        current_streak=goal.current_streak,
        longest_streak=goal.longest_streak,
        total_completions=goal.total_completions,
        total_checkins=counts.answered_or_missed,
        completed_checkins=counts.completed,
        completion_rate=round(rate, 1),
        checkins_last_7d=counts.last_7_days,
        checkins_last_30d=counts.last_30_days,
        goal_created=goal.created_at,
    )


async def read_goals_summary(connection: AsyncConnection, user_id: UUID) -> GoalsSummaryOut:
    summary = await goals_summary(connection, user_id)
    settled = summary.settled_checkins
    return GoalsSummaryOut(
        total_goals=summary.total_goals,
        active_goals=summary.active_goals,
        paused_goals=summary.paused_goals,
        archived_goals=summary.archived_goals,
        total_checkins=settled,
        completed_checkins=summary.completed_checkins,
        completion_rate=round(summary.completed_checkins / settled * 100, 1) if settled else 0.0,
        best_streak_ever=summary.best_streak_ever,
        current_best_streak=summary.current_best_streak,
        total_completions=summary.total_completions,
        current_streak=summary.current_streak,
        longest_streak=summary.longest_streak,
    )
