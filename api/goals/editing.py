"""Goal writes (§3.1): create, update, status changes, delete — rules first, then set-based writes.

Whatever a goal's timing depends on is brought in line in the same transaction by `sync_due_rows`:
today's pending check-in (with its prompt and follow-up instants) and the reminder slots. Every
function takes the request's `now`; "today" is the owner's local date at that instant.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncConnection

from api.goals.schemas import GoalCreateIn, GoalUpdateIn
from api.goals.views import stored_schedule
from db.daily_checkins import create_pending_checkins, delete_pending_checkins
from db.goals import (
    GoalRow,
    count_goals_for_update,
    delete_goal,
    insert_goal,
    owned_goal,
    schedule_columns,
    update_goal,
)
from db.plan_limits import plan_features_for
from db.reminder_slots import rebuild_goal_slots
from db.reminder_texts import discard_goal_texts
from domain.achievements import SourceType
from domain.errors import NotFound
from domain.goal_rules import (
    GoalSchedule,
    GoalStatus,
    ensure_can_activate,
    ensure_can_create_goal,
    ensure_schedule_unlocked,
    normalize_goal_title,
    normalize_reminder_times,
    normalize_schedule,
)
from domain.plans import Feature, PlanFeatures
from services.achievements import AchievementSource, evaluate_achievements
from services.transaction import Transaction

STATUS_MESSAGES = {
    GoalStatus.ACTIVE: "Goal activated.",
    GoalStatus.PAUSED: "Goal paused.",
    GoalStatus.ARCHIVED: "Goal archived.",
}


def goal_not_found() -> NotFound:
    return NotFound("Goal not found.", code="goal_not_found")


async def load_owned_goal(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, *, now: datetime
) -> GoalRow:
    """The caller's goal, locked for the write; 404 for anyone else's."""
    goal = await owned_goal(connection, user_id, goal_id, now=now, lock=True)
    if goal is None:
        raise goal_not_found()
    return goal


async def sync_due_rows(connection: AsyncConnection, goal_id: UUID, *, today: date, now: datetime) -> None:
    """Today's pending row and the reminder slots as the goal now stands: both exist only while it is
    active (the row only on a scheduled day), and their instants follow its reminder times."""
    await delete_pending_checkins(connection, goal_ids=[goal_id], local_date=today)
    await create_pending_checkins(connection, goal_ids=[goal_id], local_date=today)
    await rebuild_goal_slots(connection, [goal_id], now=now)


def _clean_why(why_statement: str | None) -> str | None:
    return (why_statement or "").strip() or None


async def create_goal(tx: Transaction, user_id: UUID, data: GoalCreateIn, *, now: datetime) -> GoalRow:
    """Create the goal and its due rows, then evaluate the user's badges (goal_count) in the same
    transaction."""
    connection = tx.connection
    features = await plan_features_for(connection, user_id)
    title = normalize_goal_title(data.title)
    schedule = normalize_schedule(data.frequency_type, data.frequency_count, data.target_days)
    reminder_times = normalize_reminder_times(
        data.reminder_times, features.limit(Feature.MULTIPLE_REMINDER_TIMES)
    )
    counts = await count_goals_for_update(connection, user_id)
    ensure_can_create_goal(counts.non_archived, features.limit(Feature.ACTIVE_GOAL_LIMIT))
    goal_id = await insert_goal(
        connection,
        user_id,
        title=title,
        schedule=schedule,
        reminder_times=reminder_times,
        why_statement=_clean_why(data.why_statement),
    )
    goal = await load_owned_goal(connection, user_id, goal_id, now=now)
    await sync_due_rows(connection, goal_id, today=goal.owner_today, now=now)
    await evaluate_achievements(tx, [user_id], now=now, source=AchievementSource(SourceType.GOAL, goal_id))
    return goal


def _requested_schedule(goal: GoalRow, data: GoalUpdateIn) -> GoalSchedule:
    """The schedule after the update: given fields over stored ones; a count left out is derived from
    the days (so changing a weekly goal's days alone just works)."""
    frequency_type = goal.frequency_type if data.frequency_type is UNSET else data.frequency_type
    frequency_count = None if data.frequency_count is UNSET else data.frequency_count
    target_days = goal.target_days if data.target_days is UNSET else data.target_days
    return normalize_schedule(frequency_type, frequency_count, target_days)


def _field_changes(goal: GoalRow, data: GoalUpdateIn, features: PlanFeatures) -> dict[str, Any]:
    """The columns the update writes, validated (400 / 403 / 422 before anything is written)."""
    changes: dict[str, Any] = {}
    if data.title is not UNSET:
        changes["title"] = normalize_goal_title(data.title)
    if data.why_statement is not UNSET:
        changes["why_statement"] = _clean_why(data.why_statement)
    if data.reminder_times is not UNSET:
        times = list(
            normalize_reminder_times(data.reminder_times, features.limit(Feature.MULTIPLE_REMINDER_TIMES))
        )
        if times != goal.reminder_times:  # unchanged times keep today's row and slots as they are
            changes["reminder_times"] = times
    if any(value is not UNSET for value in (data.frequency_type, data.frequency_count, data.target_days)):
        current = stored_schedule(goal)
        requested = _requested_schedule(goal, data)
        ensure_schedule_unlocked(goal.total_completions, current, requested)
        if requested != current:
            changes.update(schedule_columns(requested))
    return changes


async def _ensure_status_allowed(
    connection: AsyncConnection, goal: GoalRow, target: GoalStatus, features: PlanFeatures
) -> None:
    """The plan cap of §3.1: activation counts against active_goal_limit (paused) or the non-archived
    goals (archived); an archived goal coming back as paused rejoins the cap like a new goal."""
    current = GoalStatus(goal.status)
    if target is current or target is GoalStatus.ARCHIVED:
        return
    limit = features.limit(Feature.ACTIVE_GOAL_LIMIT)
    if target is GoalStatus.ACTIVE:
        counts = await count_goals_for_update(connection, goal.user_id)
        ensure_can_activate(current, counts.active, counts.non_archived, limit)
    elif current is GoalStatus.ARCHIVED:
        counts = await count_goals_for_update(connection, goal.user_id)
        ensure_can_create_goal(counts.non_archived, limit)


async def update_goal_fields(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, data: GoalUpdateIn, *, now: datetime
) -> GoalRow:
    """PUT /goals/{id}: any editable field, the schedule only while nothing was completed, and a
    status change by the same rules as the activate / deactivate / archive routes."""
    goal = await load_owned_goal(connection, user_id, goal_id, now=now)
    features = await plan_features_for(connection, user_id)
    changes = _field_changes(goal, data, features)
    if data.status is not UNSET and data.status != goal.status:
        await _ensure_status_allowed(connection, goal, GoalStatus(data.status), features)
        changes["status"] = data.status
    if changes:
        await update_goal(connection, user_id, goal_id, changes)
    if changes.keys() & {"status", "reminder_times", "frequency_type", "frequency_count", "target_days"}:
        await sync_due_rows(connection, goal_id, today=goal.owner_today, now=now)
    elif changes.keys() & {"title", "why_statement"}:
        # Texts prepared ahead name the old title or why: written again, or the template is sent.
        await discard_goal_texts(connection, [goal_id])
    return await load_owned_goal(connection, user_id, goal_id, now=now)


async def change_goal_status(
    connection: AsyncConnection, user_id: UUID, goal_id: UUID, target: GoalStatus, *, now: datetime
) -> tuple[str, GoalRow]:
    """POST /goals/{id}/activate | deactivate | archive: (message, goal). Asking for the status the goal
    already has changes nothing."""
    goal = await load_owned_goal(connection, user_id, goal_id, now=now)
    if goal.status == target:
        return f"Goal is already {target.value}.", goal
    await _ensure_status_allowed(connection, goal, target, await plan_features_for(connection, user_id))
    await update_goal(connection, user_id, goal_id, {"status": target.value})
    await sync_due_rows(connection, goal_id, today=goal.owner_today, now=now)
    return STATUS_MESSAGES[target], await load_owned_goal(connection, user_id, goal_id, now=now)


async def remove_goal(connection: AsyncConnection, user_id: UUID, goal_id: UUID) -> None:
    if not await delete_goal(connection, user_id, goal_id):
        raise goal_not_found()
