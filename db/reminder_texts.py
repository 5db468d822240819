"""Reminder texts prepared ahead (§3.12, docs/scheduling.md "Reminder texts"): claiming the slots that
fire soon, reading a chunk's prompt inputs, storing the texts.

A slot's prepared text belongs to one occurrence: `text_fire_at` is the `next_fire_at` it was written
for, and the reminders tick uses it only while the two are equal (db/due_reminders.py). The states of
the slot's next occurrence:

- needs preparing: `text_fire_at IS DISTINCT FROM next_fire_at` (never prepared, or the slot moved on);
- claimed: `text_fire_at = next_fire_at`, `text_claimed_at` set (a chunk message is on it);
- handled: `text_fire_at = next_fire_at`, `text_claimed_at` NULL, with a text or without one (a push
  the gates skip gets none).

A claim older than the lease is claimed again (message lost, worker died, or generation failed and
the chunk left the claim for a retry). The partial index ix_reminder_slots_text_pending holds the first
two states; `_TEXT_PENDING` repeats its predicate so the planner can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.notifications import push_skip_reason_sql
from db.sql_arrays import uuid_array
from db.tables import check_ins, goals, notification_preferences, reminder_slots, users
from domain.notification_types import NotificationType
from domain.reminder_ai_text import ReminderPromptInputs
from domain.streaks import CheckInStatus

__all__ = [
    "ClaimedTextSlot",
    "PreparedText",
    "TextCandidate",
    "claim_text_slots",
    "discard_goal_texts",
    "load_text_candidates",
    "store_prepared_texts",
]

_slots = reminder_slots.c

# The predicate of ix_reminder_slots_text_pending (alembic 0017), word for word.
_TEXT_PENDING: Final = sa.and_(
    _slots.goal_id.is_not(None),
    sa.or_(_slots.text_fire_at.is_distinct_from(_slots.next_fire_at), _slots.text_claimed_at.is_not(None)),
)
# Days before the reminder's date counted for "completions in the last 7 days" (§3.12).
_RECENT_DAYS: Final = 7


@dataclass(frozen=True, slots=True)
class ClaimedTextSlot:
    slot_id: UUID
    fire_at: datetime


async def claim_text_slots(
    connection: AsyncConnection,
    *,
    now: datetime,
    fire_from: datetime,
    fire_until: datetime,
    lease: timedelta,
    limit: int,
) -> list[ClaimedTextSlot]:
    """Claim up to `limit` goal slots firing in (`fire_from`, `fire_until`] whose occurrence needs its
    text (or whose claim is older than `lease`), earliest first; returns them in fire order.

    Rows locked by a request (a goal edit rebuilding its slots) are skipped, never waited for.
    """
    needs_text = sa.or_(
        _slots.text_fire_at.is_distinct_from(_slots.next_fire_at), _slots.text_claimed_at < now - lease
    )
    claimable = (
        sa.select(_slots.id)
        .where(_TEXT_PENDING, _slots.next_fire_at > fire_from, _slots.next_fire_at <= fire_until, needs_text)
        .order_by(_slots.next_fire_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await connection.execute(
        sa.update(reminder_slots)
        .where(_slots.id.in_(claimable))
        .values(
            text_fire_at=_slots.next_fire_at,
            text_claimed_at=now,
            text_title=None,
            text_body=None,
            updated_at=sa.func.now(),
        )
        .returning(_slots.id, _slots.next_fire_at)
    )
    claimed = [ClaimedTextSlot(row.id, row.next_fire_at) for row in result]
    return sorted(claimed, key=lambda slot: slot.fire_at)


@dataclass(frozen=True, slots=True)
class TextCandidate:
    """One claimed slot with what decides whether its push would go out at fire time and what the
    prompt needs (§3.12). Field order is the column order of the statement that builds it."""

    slot_id: UUID
    fire_at: datetime
    local_date: date
    local_time: time
    goal_title: str
    goal_status: str
    frequency_type: str
    target_days: list[int] | None
    why_statement: str | None
    current_streak: int
    total_completions: int
    day_number: int
    completions_last_7_days: int
    checkin_status: str | None
    user_name: str
    motivation_style: str
    # Why the push would be skipped at fire time (preferences, quiet hours, no device), or None.
    push_skip_reason: str | None

    @property
    def prompt_inputs(self) -> ReminderPromptInputs:
        return ReminderPromptInputs(
            goal_title=self.goal_title,
            why_statement=self.why_statement,
            user_name=self.user_name,
            motivation_style=self.motivation_style,
            current_streak=self.current_streak,
            completions_last_7_days=self.completions_last_7_days,
            total_completions=self.total_completions,
            day_number=self.day_number,
            local_fire_time=self.local_time,
        )


def _load_candidates_statement() -> sa.Select[Any]:
    """Built once: the columns in TextCandidate's field order."""
    local_fire = sa.func.timezone(users.c.timezone, _slots.next_fire_at)
    local_date = sa.cast(local_fire, sa.Date)
    local_time = sa.cast(local_fire, sa.Time)
    created_date = local_date_at(users.c.timezone, goals.c.created_at)
    # Correlated subqueries, so every key column reaches the (user_id, goal_id, check_in_date) index
    # (the reason is in db/due_reminders.py).
    status_that_day = (
        sa.select(check_ins.c.status)
        .where(
            check_ins.c.user_id == _slots.user_id,
            check_ins.c.goal_id == _slots.goal_id,
            check_ins.c.check_in_date == local_date,
        )
        .scalar_subquery()
    )
    recent_completions = (
        sa.select(sa.func.count())
        .where(
            check_ins.c.user_id == _slots.user_id,
            check_ins.c.goal_id == _slots.goal_id,
            check_ins.c.check_in_date >= local_date - sa.literal(_RECENT_DAYS),
            check_ins.c.check_in_date < local_date,
            check_ins.c.status == CheckInStatus.COMPLETED.value,
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            _slots.id,
            _slots.next_fire_at,
            local_date,
            local_time,
            goals.c.title,
            goals.c.status,
            goals.c.frequency_type,
            goals.c.target_days,
            goals.c.why_statement,
            goals.c.current_streak,
            goals.c.total_completions,
            sa.func.greatest(local_date - created_date + 1, 1),
            recent_completions,
            status_that_day,
            users.c.name,
            users.c.motivation_style,
            push_skip_reason_sql(
                _slots.user_id, sa.literal(NotificationType.AI_MOTIVATION.value), local_time
            ),
        )
        .select_from(
            reminder_slots.join(goals, goals.c.id == _slots.goal_id)
            .join(users, users.c.id == _slots.user_id)
            .outerjoin(notification_preferences, notification_preferences.c.user_id == _slots.user_id)
        )
        .where(
            _slots.id == sa.any_(sa.bindparam("slot_ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
            _slots.text_claimed_at == sa.bindparam("claimed_at", type_=sa.DateTime(timezone=True)),
            _slots.text_fire_at == _slots.next_fire_at,
        )
    )


_LOAD_CANDIDATES: Final = _load_candidates_statement()


async def load_text_candidates(
    connection: AsyncConnection, slot_ids: Sequence[UUID], *, claimed_at: datetime
) -> list[TextCandidate]:
    """The slots among `slot_ids` still held by the claim made at `claimed_at` for their current
    occurrence (a slot advanced, rebuilt, or claimed again since is left out). Reads only."""
    result = await connection.execute(
        _LOAD_CANDIDATES, {"slot_ids": list(slot_ids), "claimed_at": claimed_at}
    )
    return [TextCandidate(*row) for row in result]


@dataclass(frozen=True, slots=True)
class PreparedText:
    """The outcome for one claimed slot: its text, or (None, None) for "handled, no text"."""

    slot_id: UUID
    title: str | None
    body: str | None


async def store_prepared_texts(
    connection: AsyncConnection,
    texts: Sequence[PreparedText],
    *,
    claimed_at: datetime,
    not_firing_before: datetime,
) -> int:
    """Write the texts and release the claims, in one UPDATE; returns how many slots were written.

    Only slots still under this claim and still on the occurrence it was made for are written, and
    only those firing after `not_firing_before`: a slot about to fire is left alone rather than locked
    while the reminders tick reads it (SKIP LOCKED there would put it off by a whole lease). Rows
    locked by anyone else are skipped too.
    """
    if not texts:
        return 0
    values = (
        sa.func.unnest(
            sa.bindparam("ids", [text.slot_id for text in texts], type_=ARRAY(PG_UUID(as_uuid=True))),
            sa.bindparam("titles", [text.title for text in texts], type_=ARRAY(sa.Text)),
            sa.bindparam("bodies", [text.body for text in texts], type_=ARRAY(sa.Text)),
        )
        .table_valued(
            sa.column("id", PG_UUID(as_uuid=True)), sa.column("title", sa.Text), sa.column("body", sa.Text)
        )
        .render_derived(name="prepared", with_types=False)
    )
    writable = (
        sa.select(_slots.id)
        .where(
            _slots.id == sa.any_(uuid_array("slot_ids", [text.slot_id for text in texts])),
            _slots.text_claimed_at == claimed_at,
            _slots.text_fire_at == _slots.next_fire_at,
            _slots.next_fire_at > not_firing_before,
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await connection.execute(
        sa.update(reminder_slots)
        .where(_slots.id == values.c.id, _slots.id.in_(writable))
        .values(
            text_title=values.c.title,
            text_body=values.c.body,
            text_claimed_at=None,
            updated_at=sa.func.now(),
        )
    )
    return int(result.rowcount)


async def discard_goal_texts(connection: AsyncConnection, goal_ids: Sequence[UUID]) -> None:
    """Forget the prepared texts of these goals (their title or why changed): the next preparation
    run writes them again, or the template is sent."""
    await connection.execute(
        sa.update(reminder_slots)
        .where(_slots.goal_id == sa.any_(uuid_array("goal_ids", goal_ids)), _slots.text_fire_at.is_not(None))
        .values(text_fire_at=None, text_claimed_at=None, text_title=None, text_body=None)
    )
