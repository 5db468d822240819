"""The statements of the social clean-up jobs (§3.4, §4): each deletes one keyset batch, inbox rows included.

Every function is ONE statement (data-modifying CTEs): it picks the next batch after the caller's
position, deletes it and the inbox rows that point at it, and returns the counts and the position to
continue from. Batches are walked by keyset, never by OFFSET: deleting rows shifts every later offset,
so an OFFSET walk skips rows (tests/jobs/test_social_cleanup.py shows it), and a keyset walk also never
re-reads the dead index entries that earlier batches left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partial_index_predicates import is_pending
from db.tables import (
    accountability_partners,
    challenges,
    check_ins,
    goals,
    notification_history,
    social_nudges,
    user_achievements,
    users,
    weekly_recaps,
)
from domain.notification_types import EntityType

__all__ = [
    "ORPHAN_TARGETS",
    "BatchCounts",
    "RequestPosition",
    "delete_inactive_users_partnerships_batch",
    "delete_lapsed_requests_batch",
    "delete_orphaned_inbox_batch",
]

# Rendered inline, as the partial index ix_users_not_active_id spells it (db/partial_index_predicates.py).
_NOT_ACTIVE: Final = sa.text("users.status IN ('disabled', 'suspended')")
_PARTNERSHIP_ENTITIES: Final = (EntityType.PARTNER_REQUEST.value, EntityType.PARTNER_ACCEPTED.value)

# Which table each entity_type of an inbox row points at (§2.5); the weekly sweep deletes rows whose
# entity is gone (a deleted challenge leaves its invite and other notices behind until then).
ORPHAN_TARGETS: Final[dict[str, sa.Table]] = {
    EntityType.PARTNER_REQUEST.value: accountability_partners,
    EntityType.PARTNER_ACCEPTED.value: accountability_partners,
    EntityType.NUDGE.value: social_nudges,
    EntityType.ACHIEVEMENT.value: user_achievements,
    EntityType.GOAL.value: goals,
    EntityType.CHECKIN.value: check_ins,
    EntityType.USER.value: users,
    EntityType.WEEKLY_RECAP.value: weekly_recaps,
    EntityType.CHALLENGE.value: challenges,
}


@dataclass(frozen=True, slots=True)
class RequestPosition:
    """Keyset position over pending requests: the last examined row's (expires_at, id)."""

    expires_at: datetime
    id: UUID


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """What one batch did; `examined` < the batch size means the walk is over."""

    examined: int
    deleted: int
    inbox_deleted: int = 0
    nudges_deleted: int = 0


def _ctid(table: sa.Table) -> sa.ColumnElement[Any]:
    """The row's physical address: the batch deletes the rows it just read without probing the key."""
    return sa.literal_column(f"{table.name}.ctid", type_=sa.types.NullType())


def _count(cte: sa.CTE) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(cte).scalar_subquery()


async def delete_lapsed_requests_batch(
    connection: AsyncConnection,
    *,
    now: datetime,
    plans_without_partners: Sequence[str],
    after: RequestPosition | None,
    limit: int,
) -> tuple[BatchCounts, RequestPosition | None]:
    """Delete the next `limit` lapsed pending requests after `after`, with their partner_request inbox rows;
    returns the counts and the position to continue from (None when the batch was empty).

    Lapsed: expired (expires_at ≤ now), or sent by a user whose plan is in `plans_without_partners` (the
    plans without the partner feature, read once from the cached catalogue by the caller). Walks the
    partial index (expires_at, id) of pending rows; with no such plan the walk stops at `now`.
    """
    partners = accountability_partners
    lapsed: sa.ColumnElement[bool] = partners.c.expires_at <= now
    if plans_without_partners:
        sender_lacks_feature = sa.exists().where(
            users.c.id == partners.c.user_id,
            users.c.plan
            == sa.any_(sa.bindparam("plans", list(plans_without_partners), type_=ARRAY(sa.Text))),
        )
        lapsed = sa.or_(lapsed, sender_lacks_feature)
    batch_query = sa.select(partners.c.id, partners.c.expires_at, _ctid(partners).label("row_ctid")).where(
        is_pending(partners.c.status), lapsed
    )
    if after is not None:
        batch_query = batch_query.where(
            sa.tuple_(partners.c.expires_at, partners.c.id)
            > sa.tuple_(sa.literal(after.expires_at), sa.literal(after.id))
        )
    batch = batch_query.order_by(partners.c.expires_at, partners.c.id).limit(limit).cte("batch")
    # No FOR UPDATE in the batch (it would write every row twice). The DELETE takes the row versions the
    # batch read by address; one an accept has updated meanwhile is re-checked on its new version (new
    # address, status accepted) and left alone.
    deleted = (
        sa.delete(partners)
        .where(
            _ctid(partners).in_(sa.select(batch.c.row_ctid)),
            is_pending(partners.c.status),
        )
        .returning(partners.c.id)
        .cte("deleted")
    )
    inbox = _delete_inbox_of(deleted.c.id, (EntityType.PARTNER_REQUEST.value,))
    last = (
        sa.select(batch.c.expires_at, batch.c.id)
        .order_by(batch.c.expires_at.desc(), batch.c.id.desc())
        .limit(1)
    )
    row = (
        await connection.execute(
            sa.select(
                _count(batch).label("examined"),
                _count(deleted).label("deleted"),
                _count(inbox).label("inbox_deleted"),
                last.with_only_columns(batch.c.expires_at).scalar_subquery().label("last_expires_at"),
                last.with_only_columns(batch.c.id).scalar_subquery().label("last_id"),
            )
        )
    ).one()
    position = None if row.last_id is None else RequestPosition(row.last_expires_at, row.last_id)
    return BatchCounts(row.examined, row.deleted, row.inbox_deleted), position


def _delete_inbox_of(entity_ids: sa.ColumnElement[Any], entity_types: Sequence[str]) -> sa.CTE:
    """A CTE deleting the inbox rows whose entity is one of `entity_ids`, of the given entity types."""
    history = notification_history
    return (
        sa.delete(history)
        .where(history.c.entity_type.in_(entity_types), history.c.entity_id.in_(sa.select(entity_ids)))
        .returning(history.c.id)
        .cte(f"inbox_{'_'.join(entity_types)}")
    )


async def delete_inactive_users_partnerships_batch(
    connection: AsyncConnection, *, after: UUID | None, limit: int
) -> tuple[BatchCounts, UUID | None]:
    """For the next `limit` disabled or suspended users after `after` (id order): delete their pending and
    accepted partnerships (either side; the nudges cascade) and the inbox rows of those partnerships and
    nudges. Blocks stay: a block protects the blocker if the account comes back (docs/domain.md §3.4)."""
    partners = accountability_partners
    batch_query = sa.select(users.c.id).where(_NOT_ACTIVE)
    if after is not None:
        batch_query = batch_query.where(users.c.id > after)
    batch = batch_query.order_by(users.c.id).limit(limit).cte("batch")
    in_batch = sa.select(batch.c.id)
    doomed = (
        sa.select(partners.c.id)
        .where(
            sa.or_(partners.c.user_id.in_(in_batch), partners.c.partner_user_id.in_(in_batch)),
            partners.c.status.in_(("pending", "accepted")),
        )
        .with_for_update(of=partners)
        .cte("doomed")
    )
    nudges = (
        sa.select(social_nudges.c.id)
        .where(social_nudges.c.partnership_id.in_(sa.select(doomed.c.id)))
        .cte("nudges")
    )
    nudge_inbox = _delete_inbox_of(nudges.c.id, (EntityType.NUDGE.value,))
    partnership_inbox = _delete_inbox_of(doomed.c.id, _PARTNERSHIP_ENTITIES)
    deleted = (
        sa.delete(partners)
        .where(partners.c.id.in_(sa.select(doomed.c.id)))
        .returning(partners.c.id)
        .cte("deleted")
    )
    row = (
        await connection.execute(
            sa.select(
                _count(batch).label("examined"),
                _count(deleted).label("deleted"),
                (_count(nudge_inbox) + _count(partnership_inbox)).label("inbox_deleted"),
                _count(nudges).label("nudges_deleted"),
                sa.select(batch.c.id).order_by(batch.c.id.desc()).limit(1).scalar_subquery().label("last_id"),
            )
        )
    ).one()
    return BatchCounts(row.examined, row.deleted, row.inbox_deleted, row.nudges_deleted), row.last_id


def _entity_missing(batch: sa.CTE) -> sa.ColumnElement[bool]:
    """True for a batch row whose entity_type names a table of ORPHAN_TARGETS that lacks its entity_id."""
    return sa.or_(
        *(
            sa.and_(
                batch.c.entity_type.in_([kind for kind, target in ORPHAN_TARGETS.items() if target is table]),
                sa.not_(sa.exists().where(table.c.id == batch.c.entity_id)),
            )
            for table in dict.fromkeys(ORPHAN_TARGETS.values())
        )
    )


async def delete_orphaned_inbox_batch(
    connection: AsyncConnection, *, after: UUID | None, limit: int
) -> tuple[BatchCounts, UUID | None]:
    """Examine the next `limit` inbox rows with an entity (id order, after `after`) and delete those
    whose entity no longer exists (an anti-join per entity table). Deliveries cascade."""
    history = notification_history
    batch_query = sa.select(history.c.id, history.c.entity_type, history.c.entity_id).where(
        history.c.entity_type.in_(list(ORPHAN_TARGETS))
    )
    if after is not None:
        batch_query = batch_query.where(history.c.id > after)
    batch = batch_query.order_by(history.c.id).limit(limit).cte("batch")
    deleted = (
        sa.delete(history)
        .where(history.c.id.in_(sa.select(batch.c.id).where(_entity_missing(batch))))
        .returning(history.c.id)
        .cte("deleted")
    )
    row = (
        await connection.execute(
            sa.select(
                _count(batch).label("examined"),
                _count(deleted).label("deleted"),
                sa.select(batch.c.id).order_by(batch.c.id.desc()).limit(1).scalar_subquery().label("last_id"),
            )
        )
    ).one()
    return BatchCounts(row.examined, row.deleted), row.last_id
