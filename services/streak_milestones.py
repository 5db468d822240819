"""The streak-milestone notice (§3.2 "after commit", §3.11): written by the answering transaction.

`notify_streak_milestone` runs in the transaction that records a completed answer (the inbox row is
the outbox, §1.2). It writes nothing unless the new streak is a milestone, and at most once per goal,
milestone and streak_start_date (a streak that broke and reached the milestone again is a new streak
and is celebrated again).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from db.notifications import CreatedNotifications, NotificationDraft
from domain.dedupe_keys import streak_milestone_key
from domain.notification_copy.streak_milestones import streak_milestone_notification
from domain.streaks import is_streak_milestone
from services.notify import notify
from services.transaction import Transaction

__all__ = ["notify_streak_milestone"]


async def notify_streak_milestone(
    tx: Transaction,
    *,
    user_id: UUID,
    goal_id: UUID,
    goal_title: str,
    streak: int,
    streak_start_date: date,
    now: datetime,
) -> CreatedNotifications:
    """Write the milestone notice of `goal_id` if `streak` (the goal's new current_streak) is one of
    7, 14, 21, 30, 50, 100, 200, 365, 500, 730, 1000; otherwise write nothing."""
    if not is_streak_milestone(streak):
        return CreatedNotifications(notification_ids=[], deliveries=0)
    draft = NotificationDraft(
        user_id,
        streak_milestone_notification(goal_id, goal_title, streak),
        dedupe_key=streak_milestone_key(goal_id, streak, streak_start_date),
    )
    return await notify(tx, [draft], now=now)
