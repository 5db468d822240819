"""The coach's side of a turn (client-behaviour §7.3): claiming a pending user message, reading what the
model is told, storing the reply fenced by the claim, and the sweeper's statements.

A turn is claimed by writing a fresh claim_id and claimed_at (a lease) on the pending user message;
every later write names that claim_id, so a run that lost its lease (or a doubled message) writes
nothing. Every statement is scoped by the message's owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import ai_coach_conversations, ai_coach_daily_usage, ai_coach_messages, users

__all__ = [
    "ClaimedMessage",
    "HistoryMessage",
    "StoredReply",
    "Stuck",
    "TitledTurn",
    "TurnOwner",
    "claim_message",
    "fail_claimed",
    "history",
    "redrive_stuck",
    "retitle",
    "store_reply",
    "titled_turn",
    "turn_owner",
]

_m = ai_coach_messages
_c = ai_coach_conversations


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: UUID
    conversation_id: UUID
    user_id: UUID
    position: int
    content: str
    language: str | None
    goal_id: UUID | None
    created_at: datetime
    claim_id: UUID
    # The local date whose daily message this turn reserved (None once given back).
    quota_date: date | None


_CLAIMED_COLUMNS: Final = tuple(_m.c[name] for name in ClaimedMessage.__dataclass_fields__)


async def claim_message(
    connection: AsyncConnection, message_id: UUID, *, claim_id: UUID, now: datetime, lease: timedelta
) -> ClaimedMessage | None:
    """Take the pending user message for this run; None when it is answered, failed, gone, or another
    run holds a live lease on it."""
    row = (
        await connection.execute(
            sa.update(_m)
            .where(
                _m.c.id == message_id,
                _m.c.role == "user",
                _m.c.status == "pending",
                sa.or_(_m.c.claim_id.is_(None), _m.c.claimed_at < now - lease),
            )
            .values(claim_id=claim_id, claimed_at=now, attempts=_m.c.attempts + 1)
            .returning(*_CLAIMED_COLUMNS)
        )
    ).one_or_none()
    return None if row is None else ClaimedMessage(**row._mapping)


@dataclass(frozen=True, slots=True)
class TurnOwner:
    """Who the coach talks to, and the conversation's title so far."""

    name: str
    plan: str
    motivation_style: str | None
    timezone: str
    title: str | None


async def turn_owner(connection: AsyncConnection, message: ClaimedMessage) -> TurnOwner | None:
    row = (
        await connection.execute(
            sa.select(users.c.name, users.c.plan, users.c.motivation_style, users.c.timezone, _c.c.title)
            .select_from(_c.join(users, users.c.id == _c.c.user_id))
            .where(_c.c.id == message.conversation_id, _c.c.user_id == message.user_id)
        )
    ).one_or_none()
    return None if row is None else TurnOwner(**row._mapping)


@dataclass(frozen=True, slots=True)
class HistoryMessage:
    role: str
    content: str


async def history(
    connection: AsyncConnection, message: ClaimedMessage, *, limit: int
) -> list[HistoryMessage]:
    """The conversation's newest `limit` messages up to the one being answered, oldest first; failed
    user messages stay out (they were never answered, and a retry re-pends the same row)."""
    newest = (
        sa.select(_m.c.role, _m.c.content, _m.c.position)
        .where(
            _m.c.conversation_id == message.conversation_id,
            _m.c.user_id == message.user_id,
            _m.c.position <= message.position,
            sa.or_(_m.c.status == "completed", _m.c.id == message.id),
        )
        .order_by(_m.c.position.desc())
        .limit(limit)
        .subquery()
    )
    rows = await connection.execute(sa.select(newest.c.role, newest.c.content).order_by(newest.c.position))
    return [HistoryMessage(row.role, row.content) for row in rows]


@dataclass(frozen=True, slots=True)
class StoredReply:
    message_id: UUID
    position: int


async def store_reply(
    connection: AsyncConnection,
    message: ClaimedMessage,
    *,
    content: str,
    tokens_used: int,
    tool_calls: Sequence[dict[str, Any]] | None,
    title: str | None,
    give_back_quota: bool,
    now: datetime,
) -> StoredReply | None:
    """In the caller's transaction: complete the user message while this run's claim still holds it,
    append the assistant's reply after the conversation's last message, and add to the conversation's
    and the day's counters. None (and nothing written) when the claim is no longer this run's.
    `give_back_quota` clears the message's quota_date (the fallback: the caller releases that day's
    message)."""
    # The conversation row first, as accept_turn locks it before appending: one lock order, no deadlock.
    locked = (
        await connection.execute(
            sa.select(_c.c.id)
            .where(_c.c.id == message.conversation_id, _c.c.user_id == message.user_id)
            .with_for_update()
        )
    ).one_or_none()
    if locked is None:
        return None
    completed = (
        await connection.execute(
            sa.update(_m)
            .where(_m.c.id == message.id, _m.c.claim_id == message.claim_id, _m.c.status == "pending")
            .values(
                status="completed",
                completed_at=now,
                quota_date=None if give_back_quota else _m.c.quota_date,
            )
            .returning(_m.c.id)
        )
    ).one_or_none()
    if completed is None:
        return None
    next_position = (
        sa.select(sa.func.coalesce(sa.func.max(_m.c.position), -1) + 1)
        .where(_m.c.conversation_id == message.conversation_id)
        .scalar_subquery()
    )
    stored = (
        await connection.execute(
            sa.insert(_m)
            .values(
                conversation_id=message.conversation_id,
                user_id=message.user_id,
                position=next_position,
                role="assistant",
                content=content,
                status="completed",
                tokens_used=tokens_used,
                tool_calls=list(tool_calls) if tool_calls else None,
                language=message.language,
                goal_id=message.goal_id,
                created_at=now,
                completed_at=now,
            )
            .returning(_m.c.id, _m.c.position)
        )
    ).one()
    await connection.execute(
        sa.update(_c)
        .where(_c.c.id == message.conversation_id)
        .values(
            message_count=_c.c.message_count + 1,
            total_tokens_used=_c.c.total_tokens_used + tokens_used,
            last_message_at=now,
            title=sa.func.coalesce(_c.c.title, title),
            updated_at=now,
        )
    )
    if tokens_used and message.quota_date is not None:
        await connection.execute(
            sa.update(ai_coach_daily_usage)
            .where(
                ai_coach_daily_usage.c.user_id == message.user_id,
                ai_coach_daily_usage.c.usage_date == message.quota_date,
            )
            .values(tokens_used=ai_coach_daily_usage.c.tokens_used + tokens_used, updated_at=now)
        )
    return StoredReply(stored.id, stored.position)


async def fail_claimed(connection: AsyncConnection, message: ClaimedMessage, *, now: datetime) -> bool:
    """Mark the message failed (its quota_date cleared: the caller gives that day's message back)
    while this run's claim holds it; False, and nothing written, when the claim was lost."""
    row = (
        await connection.execute(
            sa.update(_m)
            .where(_m.c.id == message.id, _m.c.claim_id == message.claim_id, _m.c.status == "pending")
            .values(status="failed", completed_at=now, quota_date=None)
            .returning(_m.c.id)
        )
    ).one_or_none()
    return row is not None


@dataclass(frozen=True, slots=True)
class Stuck:
    """The sweeper's pass: messages sent to a worker again, and how many were failed for good."""

    redriven: list[UUID]
    failed: int


async def redrive_stuck(
    connection: AsyncConnection,
    *,
    now: datetime,
    stuck_after: timedelta,
    give_up_after: timedelta,
    max_attempts: int,
    limit: int,
) -> Stuck:
    """Pending user messages with no live claim for `stuck_after` (unclaimed since created, or a claim
    whose lease ran out): those still young with attempts left are released for one more run (a run's
    claim and this re-drive each count as an attempt); the rest are failed. Two statements, each
    claiming its rows with SKIP LOCKED, so overlapping sweeps split the work."""
    idle_since = sa.func.coalesce(_m.c.claimed_at, _m.c.created_at)
    stuck = sa.and_(_m.c.status == "pending", _m.c.role == "user", idle_since < now - stuck_after)
    hopeless = sa.or_(_m.c.attempts >= max_attempts, _m.c.created_at < now - give_up_after)

    def chosen(condition: sa.ColumnElement[bool], name: str) -> sa.CTE:
        return (
            sa.select(_m.c.id, _m.c.user_id, _m.c.quota_date)
            .where(stuck, condition)
            .order_by(_m.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte(name)
        )

    doomed = chosen(hopeless, "doomed")
    failed = (
        sa.update(_m)
        .where(_m.c.id == doomed.c.id)
        .values(status="failed", completed_at=now, quota_date=None)
        .returning(doomed.c.user_id, doomed.c.quota_date)
        .cte("failed")
    )
    per_day = (
        sa.select(failed.c.user_id, failed.c.quota_date, sa.func.count().label("messages"))
        .where(failed.c.quota_date.is_not(None))
        .group_by(failed.c.user_id, failed.c.quota_date)
        .cte("per_day")
    )
    usage = ai_coach_daily_usage
    released = (
        sa.update(usage)
        .where(usage.c.user_id == per_day.c.user_id, usage.c.usage_date == per_day.c.quota_date)
        .values(message_count=sa.func.greatest(usage.c.message_count - per_day.c.messages, 0), updated_at=now)
        .returning(usage.c.user_id)
        .cte("released")
    )
    failed_count = (
        await connection.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(failed).scalar_subquery(),
                sa.select(sa.func.count()).select_from(released).scalar_subquery(),
            )
        )
    ).one()[0]
    again = chosen(sa.not_(hopeless), "again")
    redriven_rows = await connection.execute(
        sa.update(_m)
        .where(_m.c.id == again.c.id)
        # claimed_at restarts the idle clock, so the next sweep waits a whole `stuck_after` again.
        .values(claim_id=None, claimed_at=now, attempts=_m.c.attempts + 1)
        .returning(_m.c.id)
    )
    return Stuck(redriven=[row.id for row in redriven_rows], failed=int(failed_count))


@dataclass(frozen=True, slots=True)
class TitledTurn:
    """A user message and the current title of its conversation."""

    conversation_id: UUID
    user_id: UUID
    content: str
    title: str | None


async def titled_turn(connection: AsyncConnection, message_id: UUID) -> TitledTurn | None:
    row = (
        await connection.execute(
            sa.select(_m.c.conversation_id, _m.c.user_id, _m.c.content, _c.c.title)
            .select_from(_m.join(_c, sa.and_(_c.c.id == _m.c.conversation_id, _c.c.user_id == _m.c.user_id)))
            .where(_m.c.id == message_id, _m.c.role == "user")
        )
    ).one_or_none()
    return None if row is None else TitledTurn(**row._mapping)


async def retitle(connection: AsyncConnection, turn: TitledTurn, *, new: str) -> bool:
    """Replace the conversation's title the turn saw by `new`; False when it has another title by now,
    or is gone."""
    result = await connection.execute(
        sa.update(_c)
        .where(_c.c.id == turn.conversation_id, _c.c.user_id == turn.user_id, _c.c.title == turn.title)
        .values(title=new)
        .returning(_c.c.id)
    )
    return result.one_or_none() is not None
