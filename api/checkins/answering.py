"""Answering today's occurrence of a goal: POST /check-ins (§3.2, §3.3, §3.11 streak milestone, §3.7).

Everything happens in the request's transaction, under the goal row lock (db/checkins.py): older
pending rows become missed first, then today's row is answered and the goal's stats are advanced by
domain.streaks, a streak milestone writes its notice (the inbox row is the outbox), and a completed
answer evaluates the user's badges (their unlocks and notices commit with the answer). The push is
enqueued after commit.

The reply stored with the answer is always the template (§3.12), so the client never shows an empty
one. With `ai_checkin_response` the answer also enqueues `checkins.write_reply`, which asks the model
after commit and replaces the template only while the row still holds this answer
(workers/checkin_replies.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.checkins.schemas import CheckInCreateIn
from db.checkins import (
    CheckInAnswer,
    CheckInRow,
    GoalToAnswer,
    lock_goal_to_answer,
    mark_overdue_pending_missed,
    record_answer,
)
from db.plans import plan_catalog
from domain.achievements import SourceType
from domain.errors import NotFound, RuleBroken
from domain.goal_rules import GoalSchedule, GoalStatus
from domain.local_time import local_monday, local_today
from domain.notification_copy.checkin_replies import checkin_reply, reply_streak
from domain.plans import Feature
from domain.schedule import FrequencyType, is_scheduled
from domain.streaks import AnswerStatus, GoalStreakStats, answer_status, apply_answer, apply_missed
from services.achievements import AchievementSource, evaluate_achievements
from services.addresses import CHECKIN_REPLY
from services.streak_milestones import notify_streak_milestone
from services.transaction import Transaction


@dataclass(frozen=True, slots=True)
class Answered:
    row: CheckInRow
    stats: GoalStreakStats  # the goal's stats after the answer
    week_completions: int  # completions in the owner's current local week


async def answer_today(
    tx: Transaction, *, user_id: UUID, answer: CheckInCreateIn, now: datetime, partner_inactive_days: int
) -> Answered:
    """Record the caller's answer for the goal's occurrence on their local today."""
    connection = tx.connection
    goal = await lock_goal_to_answer(connection, user_id=user_id, goal_id=answer.goal_id)
    if goal is None:
        raise NotFound("Goal not found.", code="goal_not_found")
    today = local_today(goal.timezone, now)
    _ensure_answerable(goal, today)

    stats_before = goal.stats
    # The lock statement's snapshot may still show rows the missed job has just closed; the update's
    # own count is what decides. A row it could not see yet is the missed job's to close, as before.
    has_overdue = goal.oldest_pending_date is not None and goal.oldest_pending_date < today
    if has_overdue and await mark_overdue_pending_missed(
        connection, user_id=user_id, goal_id=goal.goal_id, before=today, now=now
    ):
        # Older occurrences close before today's answer counts: rows are applied in date order.
        stats_before = apply_missed(stats_before)
    status = answer_status(completed=answer.completed, is_rest_day=answer.is_rest_day)
    stats = apply_answer(stats_before, status, today)
    row = await record_answer(
        connection,
        CheckInAnswer(
            user_id=user_id,
            goal_id=goal.goal_id,
            local_date=today,
            status=status.value,
            mood=answer.mood,
            skip_reason=answer.skip_reason if status is AnswerStatus.SKIPPED else None,
            note=answer.note_text(),
            ai_response=checkin_reply(
                goal.motivation_style,
                status.value,
                stats_before.current_streak,
                name=goal.user_name,
                goal_title=goal.title,
            ),
        ),
        stats,
        now=now,
        partner_inactive_days=partner_inactive_days,
    )
    if row is None:
        raise RuleBroken("You have already checked in for this goal today.", code="already_checked_in")
    if await _writes_ai_replies(connection, goal):
        tx.enqueue(
            CHECKIN_REPLY,
            str(row.id),
            str(user_id),
            now.isoformat(),  # the answer's responded_at: the reply is for this answer only
            reply_streak(status.value, stats_before.current_streak),
        )
    if status is AnswerStatus.COMPLETED and stats.streak_start_date is not None:
        await _celebrate_milestone(
            tx,
            user_id=user_id,
            goal=goal,
            streak=stats.current_streak,
            since=stats.streak_start_date,
            now=now,
        )
    if status is AnswerStatus.COMPLETED:
        await evaluate_achievements(
            tx, [user_id], now=now, source=AchievementSource(SourceType.GOAL, goal.goal_id)
        )
    week_completions = stats.week_completions if stats.week_start_date == local_monday(today) else 0
    return Answered(row=row, stats=stats, week_completions=week_completions)


def _ensure_answerable(goal: GoalToAnswer, today: date) -> None:
    if goal.status != GoalStatus.ACTIVE:
        raise RuleBroken(
            f"This goal is {goal.status}; activate it to check in.",
            code="goal_not_active",
            extra={"goal_status": goal.status},
        )
    if not is_scheduled(goal.frequency_type, goal.target_days, today):
        schedule = GoalSchedule(FrequencyType(goal.frequency_type), goal.frequency_count, goal.target_days)
        raise RuleBroken(
            f"This goal is not scheduled today; it is scheduled on {schedule.describe_days()}.",
            code="not_scheduled_today",
            extra={"target_days": list(goal.target_days or ())},
        )


async def _writes_ai_replies(connection: AsyncConnection, goal: GoalToAnswer) -> bool:
    """Whether the owner's plan has AI check-in replies (the cached catalogue: no statement per answer)."""
    plan = (await plan_catalog(connection)).plan(goal.plan)
    return plan is not None and plan.feature_set().has(Feature.AI_CHECKIN_RESPONSE)


async def _celebrate_milestone(
    tx: Transaction, *, user_id: UUID, goal: GoalToAnswer, streak: int, since: date, now: datetime
) -> None:
    """The streak-milestone notice, once per goal, milestone and streak start (a no-op off milestones)."""
    await notify_streak_milestone(
        tx,
        user_id=user_id,
        goal_id=goal.goal_id,
        goal_title=goal.title,
        streak=streak,
        streak_start_date=since,
        now=now,
    )
