"""Subscription rows (one per user, §2.6) and the users.plan cache derived from them (§3.8).

The effective plan is premium while the row's status is active, trial or grace_period
(`domain.plans.PREMIUM_STATUSES`). users.plan caches it; only two functions write that cache:
`promote_plan_cache` here (free → premium) and the downgrade teardown (premium → free, db/teardown.py),
which must see the transition to know that it has work to do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import subscriptions, users
from domain.plans import PREMIUM_STATUSES, PlanId, SubscriptionStatus

__all__ = [
    "ExpiringSubscription",
    "MySubscription",
    "SubscriptionRow",
    "expiring_subscriptions",
    "grant_bonus_premium",
    "has_premium_subscription",
    "lapsed_bonus_subscriptions",
    "lock_subscriptions",
    "my_subscription",
    "promote_plan_cache",
    "update_subscriptions",
    "upsert_subscription",
]

_PREMIUM_STATUS_VALUES: Final = sorted(status.value for status in PREMIUM_STATUSES)
# Paid access that ends at expires_date unless renewed (the expiry warning's population).
# Rendered as literals, like the partial index ix_subscriptions_expiring's predicate, so the planner can
# prove the index applies (bound parameters would hide the values from a generic plan).
_LAPSING_STATUS_LITERALS: Final[list[sa.ColumnElement[str]]] = [
    sa.literal_column(f"'{status.value}'") for status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIAL)
]
_sub = subscriptions.c


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: UUID
    user_id: UUID
    plan: str
    status: str
    platform: str | None
    product_id: str | None
    purchase_date: datetime | None
    expires_date: datetime | None
    current_period_start: datetime | None
    auto_renew: bool
    grace_period_ends_at: datetime | None
    last_event_at: datetime | None
    created_at: datetime
    updated_at: datetime


_ROW_COLUMNS: Final = [_sub[name] for name in SubscriptionRow.__dataclass_fields__]


@dataclass(frozen=True, slots=True)
class MySubscription:
    """What /subscriptions/me reads: the cached plan, the signup time (a free user's "purchase date")
    and the subscriptions row when there is one."""

    cached_plan: str
    signed_up_at: datetime
    subscription: SubscriptionRow | None


@dataclass(frozen=True, slots=True)
class ExpiringSubscription:
    id: UUID
    user_id: UUID
    expires_date: datetime
    timezone: str


def has_premium_subscription(user_id: sa.ColumnElement[UUID]) -> sa.Exists:
    """SQL: the user's subscriptions row grants premium (the effective-plan rule of §3.8)."""
    return sa.select(_sub.id).where(_sub.user_id == user_id, _sub.status.in_(_PREMIUM_STATUS_VALUES)).exists()


async def my_subscription(connection: AsyncConnection, user_id: UUID) -> MySubscription | None:
    """The caller's plan view; None when the user does not exist."""
    row = (
        await connection.execute(
            sa.select(
                users.c.plan,
                users.c.created_at,
                *[column.label(f"s_{column.name}") for column in _ROW_COLUMNS],
            )
            .select_from(users.outerjoin(subscriptions, _sub.user_id == users.c.id))
            .where(users.c.id == user_id)
        )
    ).first()
    if row is None:
        return None
    values = row._mapping
    subscription = (
        None
        if values["s_id"] is None
        else SubscriptionRow(**{name: values[f"s_{name}"] for name in SubscriptionRow.__dataclass_fields__})
    )
    return MySubscription(cached_plan=row.plan, signed_up_at=row.created_at, subscription=subscription)


async def lock_subscriptions(
    connection: AsyncConnection, user_ids: Sequence[UUID]
) -> dict[UUID, SubscriptionRow]:
    """The rows of these users, locked until the transaction ends (billing events for one user apply
    one at a time, so the event-time order check cannot race)."""
    if not user_ids:
        return {}
    result = await connection.execute(
        sa.select(*_ROW_COLUMNS)
        .where(_sub.user_id.in_(list(user_ids)))
        .order_by(_sub.user_id)  # a stable lock order between concurrent multi-user events
        .with_for_update()
    )
    return {row.user_id: SubscriptionRow(**row._mapping) for row in result}


async def upsert_subscription(
    connection: AsyncConnection,
    user_id: UUID,
    values: Mapping[str, Any],
    *,
    keep_existing: Collection[str] = (),
    now: datetime,
) -> None:
    """Insert the user's row or overwrite the given columns of it. Columns in `keep_existing` keep a
    stored non-NULL value (e.g. the first purchase date across renewals)."""
    statement = insert(subscriptions).values(user_id=user_id, **values)
    updates: dict[str, Any] = {
        name: sa.func.coalesce(_sub[name], statement.excluded[name])
        if name in keep_existing
        else statement.excluded[name]
        for name in values
    }
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[_sub.user_id], set_={**updates, "updated_at": now})
    )


async def update_subscriptions(
    connection: AsyncConnection, user_ids: Sequence[UUID], values: Mapping[str, Any], *, now: datetime
) -> list[UUID]:
    """Change the given columns of these users' rows; returns the users whose row existed."""
    if not user_ids:
        return []
    result = await connection.execute(
        sa.update(subscriptions)
        .where(_sub.user_id.in_(list(user_ids)))
        .values(**values, updated_at=now)
        .returning(_sub.user_id)
    )
    return list(result.scalars())


async def promote_plan_cache(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> list[UUID]:
    """users.plan = premium for those of `user_ids` whose row now grants it; returns who changed."""
    if not user_ids:
        return []
    result = await connection.execute(
        sa.update(users)
        .where(
            users.c.id.in_(list(user_ids)),
            users.c.plan == PlanId.FREE.value,
            has_premium_subscription(users.c.id),
        )
        .values(plan=PlanId.PREMIUM.value, updated_at=now)
        .returning(users.c.id)
    )
    return list(result.scalars())


async def expiring_subscriptions(
    connection: AsyncConnection,
    *,
    expires_from: datetime,
    expires_before: datetime,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[ExpiringSubscription]:
    """Rows that will lapse (auto_renew off, active or trial) with expires_date in
    [expires_from, expires_before), in (expires_date, id) order after the keyset position.
    Served by the partial index ix_subscriptions_expiring."""
    query = (
        sa.select(_sub.id, _sub.user_id, _sub.expires_date, users.c.timezone)
        .join(users, users.c.id == _sub.user_id)
        .where(
            _sub.auto_renew == sa.false(),
            _sub.status.in_(_LAPSING_STATUS_LITERALS),
            _sub.expires_date >= expires_from,
            _sub.expires_date < expires_before,
        )
        .order_by(_sub.expires_date, _sub.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(sa.tuple_(_sub.expires_date, _sub.id) > sa.tuple_(*after))
    return [ExpiringSubscription(**row._mapping) for row in await connection.execute(query)]


async def grant_bonus_premium(
    connection: AsyncConnection, user_id: UUID, *, provider: str, length: timedelta, now: datetime
) -> datetime | None:
    """Premium for `length` from a bonus (not a store): a row of `provider`, non-renewing, active until
    `now + length`, or `length` beyond the end of the same provider's still active bonus. A store
    subscription is overwritten only once it has expired; one that still stands (active, trial,
    grace, or its own expiry not yet processed) is left alone and None is returned. Returns the
    bonus's new end otherwise."""
    running_bonus = sa.and_(_sub.provider == provider, _sub.status == SubscriptionStatus.ACTIVE.value)
    statement = insert(subscriptions).values(
        user_id=user_id,
        plan=PlanId.PREMIUM.value,
        status=SubscriptionStatus.ACTIVE.value,
        provider=provider,
        purchase_date=now,
        current_period_start=now,
        expires_date=now + length,
        current_period_end=now + length,
        auto_renew=False,
    )
    ends = sa.case((running_bonus, sa.func.greatest(_sub.expires_date, now) + length), else_=now + length)
    starts = sa.case((running_bonus, _sub.current_period_start), else_=now)
    upsert = statement.on_conflict_do_update(
        index_elements=[_sub.user_id],
        set_={
            "plan": PlanId.PREMIUM.value,
            "status": SubscriptionStatus.ACTIVE.value,
            "provider": provider,
            "product_id": None,
            "purchase_date": starts,
            "current_period_start": starts,
            "expires_date": ends,
            "current_period_end": ends,
            "trial_end": None,
            "auto_renew": False,
            "cancelled_at": None,
            "cancel_reason": None,
            "grace_period_ends_at": None,
            "updated_at": now,
        },
        where=sa.or_(_sub.status == SubscriptionStatus.EXPIRED.value, _sub.provider == provider),
    ).returning(_sub.expires_date)
    end: datetime | None = (await connection.execute(upsert)).scalar_one_or_none()
    return end


async def lapsed_bonus_subscriptions(
    connection: AsyncConnection, *, provider: str, now: datetime, limit: int
) -> list[UUID]:
    """Users whose bonus premium of `provider` has ended by `now`, oldest end first, their rows locked
    (rows another transaction holds, e.g. a purchase being applied, are skipped). Served by the partial
    index ix_subscriptions_expiring: a bonus row never renews."""
    result = await connection.execute(
        sa.select(_sub.user_id)
        .where(
            _sub.auto_renew == sa.false(),
            _sub.status.in_(_LAPSING_STATUS_LITERALS),
            _sub.provider == provider,
            _sub.expires_date <= now,
        )
        .order_by(_sub.expires_date, _sub.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(result.scalars())
