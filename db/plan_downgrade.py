"""The statements of the downgrade teardown (services/billing/teardown.py runs them in order).

Each works on any number of users in one statement.
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

from db.partial_index_predicates import is_pending
from db.subscriptions import has_premium_subscription
from db.tables import (
    accountability_partners,
    check_ins,
    goals,
    notification_history,
    reminder_slots,
    subscription_deactivation_logs,
    subscription_plans,
    users,
)
from domain.notification_types import EntityType
from domain.plans import PlanId

__all__ = [
    "DeactivationReason",
    "TeardownReport",
    "archive_goals_over_free_limit",
    "delete_sent_partner_requests",
    "demote_lapsed_users",
    "log_deactivations",
]


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
    deleted_request_ids: tuple[UUID, ...] = ()
    cancelled_challenge_ids: tuple[UUID, ...] = ()
    left_challenge_ids: tuple[UUID, ...] = ()


# The free plan's goal cap, read from the plans table in the statement that applies it.
_FREE_GOAL_LIMIT: Final = (
    sa.select(subscription_plans.c.active_goal_limit)
    .where(subscription_plans.c.id == PlanId.FREE.value)
    .scalar_subquery()
)


async def demote_lapsed_users(
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


async def archive_goals_over_free_limit(
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


async def delete_sent_partner_requests(
    connection: AsyncConnection, user_ids: Sequence[UUID]
) -> list[tuple[UUID, UUID]]:
    """Delete the pending partner requests `user_ids` sent, and their partner_request inbox rows, in one
    statement (§3.8 step 2). Accepted partnerships stay, even above the free limit; requests they
    received stay too (the limit is the sender's). Returns (request_id, sender_id) of the deleted rows."""
    partners = accountability_partners
    deleted = (
        sa.delete(partners)
        .where(partners.c.user_id.in_(list(user_ids)), is_pending(partners.c.status))
        .returning(partners.c.id, partners.c.user_id)
        .cte("deleted_requests")
    )
    inbox = (
        sa.delete(notification_history)
        .where(
            notification_history.c.entity_type == EntityType.PARTNER_REQUEST.value,
            notification_history.c.entity_id.in_(sa.select(deleted.c.id)),
        )
        .cte("deleted_inbox")
    )
    result = await connection.execute(sa.select(deleted.c.id, deleted.c.user_id).add_cte(inbox))
    return [(row.id, row.user_id) for row in result]


async def log_deactivations(
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
                    "partner_requests_deleted": len(report.deleted_request_ids),
                    "challenges_cancelled": len(report.cancelled_challenge_ids),
                    "cancelled_challenge_ids": [str(item) for item in report.cancelled_challenge_ids],
                    "challenges_left": len(report.left_challenge_ids),
                    "left_challenge_ids": [str(item) for item in report.left_challenge_ids],
                    "webhook_event_id": webhook_event_id,
                }
                for report in reports
            ]
        )
    )
