"""The downgrade teardown (docs/domain.md §3.8): what happens, once, when users' premium ends.

It runs inside the caller's transaction (the billing event's or the sync request's), for any number of
users, with one statement per step (db/plan_downgrade.py; the challenge step of §3.6 is
services/challenge_lifecycle.py, whose participant notices leave in chunk messages after commit). It
is idempotent because it is keyed on the transition itself: the first step flips the users.plan cache
from premium to free only for users whose subscription no longer grants premium, and only the users it
flipped are torn down. A second run finds no such user and changes nothing; a user who is (again)
premium is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from db.notifications import NotificationDraft
from db.plan_downgrade import (
    DeactivationReason,
    TeardownReport,
    archive_goals_over_free_limit,
    delete_sent_partner_requests,
    demote_lapsed_users,
    log_deactivations,
)
from domain.notification_copy.subscription_notices import subscription_expired_notification
from services.challenge_lifecycle import tear_down_creator_challenges
from services.notify import notify
from services.transaction import Transaction

__all__ = ["DeactivationReason", "TeardownReport", "tear_down_lapsed_premium"]


async def tear_down_lapsed_premium(
    tx: Transaction,
    user_ids: Sequence[UUID],
    *,
    reason: DeactivationReason,
    webhook_event_id: str | None = None,
    now: datetime,
) -> list[TeardownReport]:
    """Tear down those of `user_ids` whose premium just ended and tell them; the others are left alone."""
    demoted = await demote_lapsed_users(tx.connection, user_ids, now=now)
    if not demoted:
        return []
    archived = await archive_goals_over_free_limit(tx.connection, demoted, now=now)
    deleted_requests = await delete_sent_partner_requests(tx.connection, demoted)
    challenges = await tear_down_creator_challenges(tx, demoted, now=now)
    reports = [
        TeardownReport(
            user_id,
            tuple(goal_id for goal_id, owner in archived if owner == user_id),
            tuple(request_id for request_id, sender in deleted_requests if sender == user_id),
            challenges.cancelled_by(user_id),
            challenges.left_by(user_id),
        )
        for user_id in demoted
    ]
    await log_deactivations(tx.connection, reports, reason=reason, webhook_event_id=webhook_event_id)
    await notify(
        tx,
        [
            NotificationDraft(
                user_id=report.user_id,
                content=subscription_expired_notification(
                    goals_archived=len(report.archived_goal_ids),
                    challenges_cancelled=len(report.cancelled_challenge_ids),
                    challenges_left=len(report.left_challenge_ids),
                ),
            )
            for report in reports
        ],
        now=now,
    )
    return reports
