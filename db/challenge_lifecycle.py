"""The statements of the challenge lifecycle (§3.6 status machine, §4 challenge jobs, the creator teardown).

Every function is ONE statement for any number of challenges or users (arrays, data-modifying CTEs),
so a job batch or a teardown issues a constant number of statements. Each transition is guarded by the
status it expects (`WHERE status = …` in the UPDATE itself), so a second run, a second scheduler or a
creator's own cancel racing with a job changes a challenge once: the loser's UPDATE finds the row no
longer in that status and returns nothing. Dates are the challenge's local dates (its `timezone`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.sql_arrays import uuid_array
from db.tables import (
    challenge_invites,
    challenge_leaderboard,
    challenge_participants,
    challenges,
    notification_history,
    users,
)
from domain.notification_types import EntityType, NotificationType

__all__ = [
    "OPEN_STATUSES",
    "Activation",
    "CancelBatch",
    "ClosedChallenge",
    "Completion",
    "EndingChallenge",
    "InvitePosition",
    "KeysetPosition",
    "Standing",
    "activate_due_challenges",
    "cancel_abandoned_batch",
    "cancel_challenges_of_creators",
    "cancel_lapsed_creators_batch",
    "complete_due_challenges",
    "delete_invite_inbox",
    "delete_pending_invites",
    "ending_challenges",
    "expire_invites_batch",
    "final_standings",
    "participants_of",
    "trim_joined_challenges",
]

OPEN_STATUSES: Final = ("upcoming", "active")
_C = challenges.c
# No zone is more than a day ahead of UTC, so no challenge's local today is past the UTC date + 1: the
# bound lets the due statements walk the partial indexes (start_date / end_date) instead of every row.
_LOCAL_DATE_SLACK: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ClosedChallenge:
    """A challenge a statement just cancelled (or completed)."""

    id: UUID
    title: str
    created_by: UUID | None


@dataclass(frozen=True, slots=True)
class Activation:
    id: UUID
    title: str
    created_by: UUID | None
    status: str  # active, or cancelled (creator_subscription_expired)
    joining_closed: bool  # no join_deadline after the local today: its pending invites go


@dataclass(frozen=True, slots=True)
class Completion:
    id: UUID
    title: str
    winner_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class Standing:
    challenge_id: UUID
    user_id: UUID
    rank: int
    points: int


@dataclass(frozen=True, slots=True)
class EndingChallenge:
    id: UUID
    title: str
    end_date: date
    local_date: date


# A keyset position: the last examined row's (key, id).
KeysetPosition = tuple[Any, UUID]


@dataclass(frozen=True, slots=True)
class InvitePosition:
    """Keyset position over pending invites: the last examined (expires_at, id)."""

    expires_at: datetime
    id: UUID


def _today(now: datetime) -> sa.ColumnElement[date]:
    return local_date_at(_C.timezone, sa.literal(now, sa.DateTime(timezone=True)))


def _plans_param(plans: Sequence[str]) -> sa.BindParameter[Any]:
    return sa.bindparam("creator_plans", list(plans), type_=ARRAY(sa.Text))


def _creator_on(plans: Sequence[str]) -> sa.ColumnElement[bool]:
    """The challenge's creator exists and is on one of `plans` (those with challenge_create)."""
    return sa.exists().where(users.c.id == _C.created_by, users.c.plan == sa.any_(_plans_param(plans)))


def _closed(row: Any) -> ClosedChallenge:
    return ClosedChallenge(row.id, row.title, row.created_by)


def _cancel_values(reason: str | None, now: datetime) -> dict[str, Any]:
    return {"status": "cancelled", "cancelled_reason": reason, "cancelled_at": now, "updated_at": now}


async def activate_due_challenges(
    connection: AsyncConnection, *, now: datetime, creator_plans: Sequence[str], reason: str, limit: int
) -> list[Activation]:
    """The next `limit` upcoming challenges whose start_date has come (local today): active when the
    creator's plan is one of `creator_plans`, else cancelled with `reason`."""
    today = _today(now)
    due = (
        sa.select(_C.id)
        .where(
            _C.status == "upcoming", _C.start_date <= now.date() + _LOCAL_DATE_SLACK, _C.start_date <= today
        )
        .order_by(_C.start_date, _C.id)
        .limit(limit)
        .scalar_subquery()
    )
    creator_ok = _creator_on(creator_plans)
    result = await connection.execute(
        sa.update(challenges)
        .where(_C.id.in_(due), _C.status == "upcoming")
        .values(
            status=sa.case((creator_ok, "active"), else_="cancelled"),
            cancelled_reason=sa.case((creator_ok, None), else_=reason),
            cancelled_at=sa.case((creator_ok, None), else_=now),
            updated_at=now,
        )
        .returning(
            _C.id,
            _C.title,
            _C.created_by,
            _C.status,
            sa.or_(_C.join_deadline.is_(None), _C.join_deadline <= today).label("joining_closed"),
        )
    )
    return [Activation(row.id, row.title, row.created_by, row.status, row.joining_closed) for row in result]


async def complete_due_challenges(
    connection: AsyncConnection, *, now: datetime, limit: int
) -> list[Completion]:
    """The next `limit` active challenges past their end_date (local today) → completed, with metadata
    winner_user_ids (every participant with the top score, when it is > 0), top_score,
    total_participants and rankings_finalized (§3.6 Finish)."""
    board = challenge_leaderboard.c
    due = (
        sa.select(_C.id)
        .where(_C.status == "active", _C.end_date < now.date() + _LOCAL_DATE_SLACK, _C.end_date < _today(now))
        .order_by(_C.end_date, _C.id)
        .limit(limit)
        .scalar_subquery()
    )
    scores = challenge_leaderboard.alias("scores")
    top = (
        sa.select(sa.func.coalesce(sa.func.max(scores.c.points), 0))
        .where(scores.c.challenge_id == _C.id)
        .correlate(challenges)
        .scalar_subquery()
    )
    total = (
        sa.select(sa.func.count()).where(board.challenge_id == _C.id).correlate(challenges).scalar_subquery()
    )
    winners = (
        sa.select(
            sa.func.coalesce(sa.func.jsonb_agg(sa.cast(board.user_id, sa.Text)), sa.text("'[]'::jsonb"))
        )
        .where(board.challenge_id == _C.id, board.points == top, board.points > 0)
        .correlate(challenges)
        .scalar_subquery()
    )
    final = sa.func.jsonb_build_object(
        "winner_user_ids", winners, "top_score", top, "total_participants", total, "rankings_finalized", True
    )
    result = await connection.execute(
        sa.update(challenges)
        .where(_C.id.in_(due), _C.status == "active")
        .values(status="completed", metadata=_C.metadata.op("||")(sa.cast(final, JSONB)), updated_at=now)
        .returning(_C.id, _C.title, _C.metadata["winner_user_ids"].label("winner_ids"))
    )
    return [Completion(row.id, row.title, tuple(UUID(user) for user in row.winner_ids)) for row in result]


async def final_standings(
    connection: AsyncConnection, challenge_ids: Sequence[UUID], *, now: datetime
) -> list[Standing]:
    """Set completed_at on every participant of `challenge_ids` and return each one's stored final rank
    and points (the ranks `db.challenge_ranks.store_final_ranks` wrote in this transaction)."""
    if not challenge_ids:
        return []
    members, board = challenge_participants.c, challenge_leaderboard.c
    result = await connection.execute(
        sa.update(challenge_participants)
        .where(
            members.challenge_id == sa.any_(uuid_array("challenge_ids", challenge_ids)),
            board.challenge_id == members.challenge_id,
            board.user_id == members.user_id,
        )
        .values(completed_at=sa.func.coalesce(members.completed_at, now))
        .returning(members.challenge_id, members.user_id, board.rank, board.points)
    )
    return [Standing(row.challenge_id, row.user_id, row.rank, row.points) for row in result]


async def cancel_challenges_of_creators(
    connection: AsyncConnection, creator_ids: Sequence[UUID], *, reason: str, now: datetime
) -> list[ClosedChallenge]:
    """Cancel every upcoming or active challenge created by `creator_ids` (the creator teardown, §3.6
    step 1), through the partial index (created_by, id) of open challenges."""
    if not creator_ids:
        return []
    result = await connection.execute(
        sa.update(challenges)
        .where(_C.created_by == sa.any_(uuid_array("creator_ids", creator_ids)), _C.status.in_(OPEN_STATUSES))
        .values(_cancel_values(reason, now))
        .returning(_C.id, _C.title, _C.created_by)
    )
    return [_closed(row) for row in result]


@dataclass(frozen=True, slots=True)
class CancelBatch:
    """What one clean-up batch did; `examined` below the batch size means the walk is over."""

    examined: int
    cancelled: list[ClosedChallenge]
    position: KeysetPosition | None  # the last examined (key, id): the next batch starts after it


async def _cancel_next_batch(
    connection: AsyncConnection,
    *,
    walk: sa.ColumnElement[bool],
    key: sa.Column[Any],
    cancel_if: Sequence[sa.ColumnElement[bool]],
    reason: str,
    now: datetime,
    after: KeysetPosition | None,
    limit: int,
) -> CancelBatch:
    """ONE statement: the next `limit` challenges matching `walk` after `after` in (key, id) order (an
    index on (key, id) or key under `walk` serves it), cancelled with `reason` where `cancel_if` holds
    and their status is still open."""
    batch_query = sa.select(_C.id, key.label("key")).where(walk)
    if after is not None:
        batch_query = batch_query.where(
            sa.tuple_(key, _C.id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    batch = batch_query.order_by(key, _C.id).limit(limit).cte("batch")
    cancelled = (
        sa.update(challenges)
        .where(_C.id.in_(sa.select(batch.c.id)), _C.status.in_(OPEN_STATUSES), *cancel_if)
        .values(_cancel_values(reason, now))
        .returning(_C.id, _C.title, _C.created_by)
        .cte("cancelled")
    )
    last = sa.select(batch.c.key, batch.c.id).order_by(batch.c.key.desc(), batch.c.id.desc()).limit(1)
    # One row per cancelled challenge, or a single row of NULLs: the batch's figures ride on each.
    one_row = sa.select(sa.literal(1).label("one")).subquery("one_row")
    rows = (
        await connection.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(batch).scalar_subquery().label("examined"),
                last.with_only_columns(batch.c.key).scalar_subquery().label("last_key"),
                last.with_only_columns(batch.c.id).scalar_subquery().label("last_id"),
                cancelled.c.id,
                cancelled.c.title,
                cancelled.c.created_by,
            ).select_from(one_row.outerjoin(cancelled, sa.true()))
        )
    ).all()
    first = rows[0]
    position = None if first.last_id is None else (first.last_key, first.last_id)
    return CancelBatch(first.examined, [_closed(row) for row in rows if row.id is not None], position)


async def cancel_lapsed_creators_batch(
    connection: AsyncConnection,
    *,
    creator_plans: Sequence[str],
    reason: str,
    now: datetime,
    after: KeysetPosition | None,
    limit: int,
) -> CancelBatch:
    """Examine the next `limit` open challenges in (created_by, id) order, through the partial index of
    open challenges, and cancel those whose creator's plan is not one of `creator_plans`."""
    return await _cancel_next_batch(
        connection,
        walk=sa.and_(_C.status.in_(OPEN_STATUSES), _C.created_by.is_not(None)),
        key=_C.created_by,
        cancel_if=[sa.not_(_creator_on(creator_plans))],
        reason=reason,
        now=now,
        after=after,
        limit=limit,
    )


async def cancel_abandoned_batch(
    connection: AsyncConnection, *, reason: str, now: datetime, after: KeysetPosition | None, limit: int
) -> CancelBatch:
    """Examine the next `limit` upcoming challenges in (start_date, id) order and cancel those whose
    join_deadline is before their local today with nobody but the creator in them."""
    members = challenge_participants.c
    someone_else = sa.exists().where(
        members.challenge_id == _C.id, members.user_id.is_distinct_from(_C.created_by)
    )
    return await _cancel_next_batch(
        connection,
        walk=_C.status == "upcoming",
        key=_C.start_date,
        cancel_if=[_C.status == "upcoming", _C.join_deadline < _today(now), sa.not_(someone_else)],
        reason=reason,
        now=now,
        after=after,
        limit=limit,
    )


def delete_invite_inbox(deleted: sa.CTE) -> sa.CTE:
    """A CTE deleting the challenge_invite inbox rows of the invites in `deleted` (id, challenge_id):
    found through the (entity_type, entity_id) index by challenge, then matched on data.inviteId."""
    history = notification_history.c
    return (
        sa.delete(notification_history)
        .where(
            history.entity_type == EntityType.CHALLENGE.value,
            history.entity_id.in_(sa.select(deleted.c.challenge_id)),
            history.notification_type == NotificationType.CHALLENGE_INVITE.value,
            history.data["inviteId"].astext.in_(sa.select(sa.cast(deleted.c.id, sa.Text))),
        )
        .returning(history.id)
        .cte("deleted_inbox")
    )


async def delete_pending_invites(
    connection: AsyncConnection, challenge_ids: Sequence[UUID]
) -> tuple[int, int]:
    """Delete the pending invites of `challenge_ids` and their challenge_invite inbox rows (joining
    closed, completed or cancelled); returns (invites, inbox rows) deleted."""
    if not challenge_ids:
        return 0, 0
    invites = challenge_invites.c
    deleted = (
        sa.delete(challenge_invites)
        .where(
            invites.challenge_id == sa.any_(uuid_array("challenge_ids", challenge_ids)),
            invites.status == "pending",
        )
        .returning(invites.id, invites.challenge_id)
        .cte("deleted_invites")
    )
    inbox = delete_invite_inbox(deleted)
    row = (
        await connection.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(deleted).scalar_subquery(),
                sa.select(sa.func.count()).select_from(inbox).scalar_subquery(),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def expire_invites_batch(
    connection: AsyncConnection, *, now: datetime, after: InvitePosition | None, limit: int
) -> tuple[int, int, int, InvitePosition | None]:
    """The next `limit` pending invites past expires_at (after `after`, through the partial index
    (expires_at, id) of pending invites) → expired, and their inbox rows deleted. Returns (examined,
    expired, inbox rows deleted, position)."""
    invites = challenge_invites.c
    batch_query = sa.select(invites.id, invites.expires_at).where(
        invites.status == "pending", invites.expires_at <= now
    )
    if after is not None:
        batch_query = batch_query.where(
            sa.tuple_(invites.expires_at, invites.id)
            > sa.tuple_(sa.literal(after.expires_at), sa.literal(after.id))
        )
    batch = batch_query.order_by(invites.expires_at, invites.id).limit(limit).cte("batch")
    expired = (
        sa.update(challenge_invites)
        .where(invites.id.in_(sa.select(batch.c.id)), invites.status == "pending")
        .values(status="expired", updated_at=now)
        .returning(invites.id, invites.challenge_id)
        .cte("expired")
    )
    inbox = delete_invite_inbox(expired)
    last = (
        sa.select(batch.c.expires_at, batch.c.id)
        .order_by(batch.c.expires_at.desc(), batch.c.id.desc())
        .limit(1)
    )
    row = (
        await connection.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(batch).scalar_subquery().label("examined"),
                sa.select(sa.func.count()).select_from(expired).scalar_subquery().label("expired"),
                sa.select(sa.func.count()).select_from(inbox).scalar_subquery().label("inbox"),
                last.with_only_columns(batch.c.expires_at).scalar_subquery().label("last_expires_at"),
                last.with_only_columns(batch.c.id).scalar_subquery().label("last_id"),
            )
        )
    ).one()
    position = None if row.last_id is None else InvitePosition(row.last_expires_at, row.last_id)
    return row.examined, row.expired, row.inbox, position


async def participants_of(
    connection: AsyncConnection, challenge_ids: Sequence[UUID], *, but_creator: bool
) -> list[tuple[UUID, UUID]]:
    """(challenge_id, user_id) of every participant of `challenge_ids` (but its creator, if told)."""
    if not challenge_ids:
        return []
    members = challenge_participants.c
    query = (
        sa.select(members.challenge_id, members.user_id)
        .join(challenges, _C.id == members.challenge_id)
        .where(members.challenge_id == sa.any_(uuid_array("challenge_ids", challenge_ids)))
        .order_by(members.challenge_id, members.joined_at, members.user_id)
    )
    if but_creator:
        query = query.where(members.user_id.is_distinct_from(_C.created_by))
    result = await connection.execute(query)
    return [(row.challenge_id, row.user_id) for row in result]


async def trim_joined_challenges(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, keep: int
) -> list[tuple[UUID, UUID]]:
    """Keep each user's `keep` earliest memberships (joined_at, id) of upcoming or active challenges
    created by someone else; delete the others (leaderboard rows and check-ins cascade). Returns
    (challenge_id, user_id) of the memberships deleted."""
    if not user_ids:
        return []
    members = challenge_participants.c
    ranked = (
        sa.select(
            members.id,
            sa.func.row_number()
            .over(partition_by=members.user_id, order_by=(members.joined_at, members.id))
            .label("position"),
        )
        .join(challenges, _C.id == members.challenge_id)
        .where(
            members.user_id == sa.any_(uuid_array("user_ids", user_ids)),
            _C.status.in_(OPEN_STATUSES),
            _C.created_by.is_distinct_from(members.user_id),
        )
        .subquery("ranked")
    )
    result = await connection.execute(
        sa.delete(challenge_participants)
        .where(members.id == ranked.c.id, ranked.c.position > keep)
        .returning(members.challenge_id, members.user_id)
    )
    return [(row.challenge_id, row.user_id) for row in result]


async def ending_challenges(
    connection: AsyncConnection,
    zone_days: Sequence[tuple[str, date]],
    *,
    days_before: int,
    after: UUID | None,
    limit: int,
) -> list[EndingChallenge]:
    """Active challenges of the zones given (each with its local date) whose end_date is that local
    date or `days_before` days later: the next `limit` after `after` in id order."""
    if not zone_days:
        return []
    zone = (
        sa.func.unnest(
            sa.bindparam("zones", [zone for zone, _ in zone_days], type_=ARRAY(sa.Text)),
            sa.bindparam("local_dates", [day for _, day in zone_days], type_=ARRAY(sa.Date)),
        )
        .table_valued(sa.column("timezone", sa.Text), sa.column("local_date", sa.Date), name="zone")
        .render_derived()
    )
    query = (
        sa.select(_C.id, _C.title, _C.end_date, zone.c.local_date)
        .join(zone, zone.c.timezone == _C.timezone)
        .where(
            _C.status == "active",
            sa.or_(_C.end_date == zone.c.local_date, _C.end_date == zone.c.local_date + days_before),
        )
    )
    if after is not None:
        query = query.where(_C.id > after)
    result = await connection.execute(query.order_by(_C.id).limit(limit))
    return [EndingChallenge(row.id, row.title, row.end_date, row.local_date) for row in result]
