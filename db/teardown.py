"""The downgrade teardown (§3.8): what happens, once, when users' premium ends.

It runs inside the caller's transaction (the billing event's or the sync request's), for any number of
users, with one statement per step. It is idempotent because it is keyed on the transition itself:
the first step flips the users.plan cache from premium to free only for users whose subscription no
longer grants premium, and only the users it flipped are torn down. A second run finds no such user
and changes nothing; a user who is (again) premium is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.notifications import NotificationDraft, create_notifications
from db.partial_index_predicates import is_pending
from db.subscriptions import has_premium_subscription
from db.tables import (
    check_ins,
    goals,
    reminder_slots,
    subscription_deactivation_logs,
    subscription_plans,
    users,
)
from domain.notification_copy.subscription_notices import subscription_expired_notification
from domain.plans import PlanId

__all__ = ["DeactivationReason", "TeardownReport", "TeardownResult", "tear_down_lapsed_premium"]


class DeactivationReason(StrEnum):
    """subscription_deactivation_logs.deactivation_reason."""

    SUBSCRIPTION_EXPIRED = "subscription_expired"
    SUBSCRIPTION_EXPIRED_CLEANUP = "subscription_expired_cleanup"
    MANUAL = "manual"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class TeardownReport:
    """What the teardown changed for one user (also written to the deactivation log)."""

    user_id: UUID
    archived_goal_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class TeardownResult:
    reports: list[TeardownReport]
    # Push delivery rows written for the notices: enqueue PUSH_DELIVER after commit when > 0.
    deliveries: int


# The free plan's goal cap, read from the plans table in the statement that applies it.
_FREE_GOAL_LIMIT: Final = (
    sa.select(subscription_plans.c.active_goal_limit)
    .where(subscription_plans.c.id == PlanId.FREE.value)
    .scalar_subquery()
)


async def tear_down_lapsed_premium(
    connection: AsyncConnection,
    user_ids: Sequence[UUID],
    *,
    reason: DeactivationReason,
    webhook_event_id: str | None = None,
    now: datetime,
) -> TeardownResult:
    """Tear down those of `user_ids` whose premium just ended; the others are left alone."""
    demoted = await _demote_lapsed_users(connection, user_ids, now=now)
    if not demoted:
        return TeardownResult(reports=[], deliveries=0)
    archived = await _archive_goals_over_free_limit(connection, demoted, now=now)
    # Steps 2 and 3 of §3.8 (the user's pending partner requests, the challenge teardown of §3.6)
    # arrive with the social features: they act on `demoted` here and add their counts and ids to
    # the report and to the log row below.
    reports = [
        TeardownReport(user_id, tuple(goal_id for goal_id, owner in archived if owner == user_id))
        for user_id in demoted
    ]
    await _log_deactivations(connection, reports, reason=reason, webhook_event_id=webhook_event_id)
    created = await create_notifications(
        connection,
        [
            NotificationDraft(
                user_id=report.user_id,
                content=subscription_expired_notification(
                    goals_archived=len(report.archived_goal_ids), challenges_cancelled=0, challenges_left=0
                ),
            )
            for report in reports
        ],
        now=now,
    )
    return TeardownResult(reports=reports, deliveries=created.deliveries)


async def _demote_lapsed_users(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> list[UUID]:
    """users.plan premium → free where the subscription no longer grants premium (the transition)."""
    if not user_ids:
        return []
    result = await connection.execute(
        sa.update(users)
        .where(
            users.c.id.in_(list(user_ids)),
            users.c.plan == PlanId.PREMIUM.value,
            sa.not_(has_premium_subscription(users.c.id)),
        )
        .values(plan=PlanId.FREE.value, updated_at=now)
        .returning(users.c.id)
    )
    return sorted(result.scalars())


async def _archive_goals_over_free_limit(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> list[tuple[UUID, UUID]]:
    """Keep each user's oldest active goals up to the free cap (created_at, id); archive the other
    active goals in one statement and drop their pending check-ins and reminder slots.
    Paused goals stay paused. Returns (goal_id, user_id) of the archived goals."""
    ranked = (
        sa.select(
            goals.c.id,
            sa.func.row_number()
            .over(partition_by=goals.c.user_id, order_by=(goals.c.created_at, goals.c.id))
            .label("position"),
        )
        .where(goals.c.user_id.in_(list(user_ids)), goals.c.status == "active")
        .subquery("ranked")
    )
    result = await connection.execute(
        sa.update(goals)
        .where(goals.c.id == ranked.c.id, ranked.c.position > _FREE_GOAL_LIMIT)
        .values(status="archived", updated_at=now)
        .returning(goals.c.id, goals.c.user_id)
    )
    archived = [(row.id, row.user_id) for row in result]
    goal_ids = [goal_id for goal_id, _ in archived]
    if goal_ids:
        await connection.execute(
            sa.delete(check_ins).where(check_ins.c.goal_id.in_(goal_ids), is_pending(check_ins.c.status))
        )
        await connection.execute(sa.delete(reminder_slots).where(reminder_slots.c.goal_id.in_(goal_ids)))
    return archived


async def _log_deactivations(
    connection: AsyncConnection,
    reports: Sequence[TeardownReport],
    *,
    reason: DeactivationReason,
    webhook_event_id: str | None,
) -> None:
    await connection.execute(
        sa.insert(subscription_deactivation_logs).values(
            [
                {
                    "user_id": report.user_id,
                    "previous_plan": PlanId.PREMIUM.value,
                    "new_plan": PlanId.FREE.value,
                    "deactivation_reason": reason.value,
                    "goals_deactivated": len(report.archived_goal_ids),
                    "deactivated_goal_ids": [str(goal_id) for goal_id in report.archived_goal_ids],
                    "webhook_event_id": webhook_event_id,
                }
                for report in reports
            ]
        )
    )
