"""The "partner inactive" due index (§3.11): when a user's partners should next hear they have gone quiet.

`partner_inactive_due` holds one row per user whose silence is being watched, due at 10:00 in the
user's zone, N local days after the start of the silence. The start of a silence is, per partnership,
the later of the user's last completed or rest-day answer and the partnership's acceptance (both as
local dates of the quiet user): "counted from accepted_at if never", and never before the partnership
existed. A row is written

- by an answer (completed or rest day), in the answer's own statement (db/checkins.py): the silence
  restarts today, the row is replaced;
- by an acceptance, for both users, only when they have none: a watched silence keeps its instant
  (the job then re-arms it for the new partnership, see `silent_partnerships`).

Both only for users with an accepted partnership. `notify_inactive_partners` takes due rows through
the index and deletes each row, or re-arms it for partnerships whose own silence is not yet N days
old, so every partner hears once per silence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.local_dates import local_date_at
from db.sql_arrays import uuid_array
from db.tables import accountability_partners, check_ins, partner_inactive_due, users
from domain.streaks import CheckInStatus

__all__ = [
    "DueQuietUser",
    "SilentPartnership",
    "has_accepted_partner",
    "notice_instant",
    "rearm_or_clear",
    "schedule_partner_inactivity",
    "silent_partnerships",
    "take_due_quiet_users",
    "watch_silence",
]

# Once-a-day notices go out in the local 10:00 hour (§3.11).
_NOTICE_TIME = sa.literal_column("time '10:00'", sa.Time)


def notice_instant(
    zone: sa.ColumnElement[str], silent_since: sa.ColumnElement[date], days: sa.ColumnElement[int]
) -> sa.ColumnElement[datetime]:
    """10:00 in `zone`, `days` local days after `silent_since`, as an instant (DST-aware: timezone())."""
    return sa.func.timezone(zone, (silent_since + days) + _NOTICE_TIME)


def has_accepted_partner(user_id: sa.ColumnElement[UUID]) -> sa.ColumnElement[bool]:
    partners = accountability_partners
    return sa.or_(
        sa.exists().where(partners.c.user_id == user_id, partners.c.status == "accepted"),
        sa.exists().where(partners.c.partner_user_id == user_id, partners.c.status == "accepted"),
    )


def watch_silence(rows: sa.Select[Any], *, replace: bool) -> Insert:
    """INSERT the (user_id, due_at, at) `rows` into the index: replacing a user's instant, or only where
    they have none (`replace=False`)."""
    statement = insert(partner_inactive_due).from_select(
        ["user_id", "due_at", "created_at", "updated_at"], rows
    )
    if replace:
        return statement.on_conflict_do_update(
            index_elements=[partner_inactive_due.c.user_id],
            set_={"due_at": statement.excluded.due_at, "updated_at": statement.excluded.updated_at},
        )
    return statement.on_conflict_do_nothing(index_elements=[partner_inactive_due.c.user_id])


async def schedule_partner_inactivity(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime, days: int
) -> None:
    """Watch the silence of `user_ids` from their local today at `now`: due at 10:00 local, `days` days
    on, unless an instant is already set. One statement; users without an accepted partnership are
    left out. The accept route calls it for both users once the row is accepted; an answer moves the
    instant in its own statement (db/checkins.py)."""
    days_param = sa.bindparam("days", days, type_=sa.Integer)
    now_param = sa.bindparam("now", now, type_=sa.DateTime(timezone=True))
    rows = sa.select(
        users.c.id,
        notice_instant(users.c.timezone, local_date_at(users.c.timezone, now_param), days_param),
        now_param,
        now_param,
    ).where(users.c.id == sa.any_(uuid_array("user_ids", user_ids)), has_accepted_partner(users.c.id))
    await connection.execute(watch_silence(rows, replace=False))


@dataclass(frozen=True, slots=True)
class DueQuietUser:
    user_id: UUID
    is_active: bool


async def take_due_quiet_users(
    connection: AsyncConnection, *, now: datetime, limit: int
) -> list[DueQuietUser]:
    """Up to `limit` watched users due at `now` (oldest first), locked for this transaction; rows locked
    by an answer in progress are skipped (that answer moves the instant anyway)."""
    due = partner_inactive_due
    result = await connection.execute(
        sa.select(due.c.user_id, (users.c.status == "active").label("is_active"))
        .join(users, users.c.id == due.c.user_id)
        .where(due.c.due_at <= now)
        .order_by(due.c.due_at)
        .limit(limit)
        .with_for_update(of=due, skip_locked=True)
    )
    return [DueQuietUser(row.user_id, row.is_active) for row in result]


@dataclass(frozen=True, slots=True)
class SilentPartnership:
    """One accepted partnership of a quiet user, seen from the partner who would be told."""

    partnership_id: UUID
    quiet_user_id: UUID
    quiet_user_name: str
    recipient_id: UUID
    silent_since: date  # the quiet user's local date the silence counts from
    notice_at: datetime  # 10:00 local, N days after silent_since
    days_silent: int  # local days from silent_since to the quiet user's local today at `now`


def _last_answer_date(user_id: sa.ColumnElement[UUID], status: CheckInStatus) -> sa.ScalarSelect[date]:
    """The user's latest check-in date with `status`: one backward probe of (user_id, status, date)."""
    return (
        sa.select(sa.func.max(check_ins.c.check_in_date))
        .where(check_ins.c.user_id == user_id, check_ins.c.status == status.value)
        .scalar_subquery()
    )


async def silent_partnerships(
    connection: AsyncConnection, quiet_user_ids: Sequence[UUID], *, now: datetime, days: int
) -> list[SilentPartnership]:
    """Every accepted partnership of `quiet_user_ids` whose other side is an active account, with when
    the silence of that partnership started and when it is due to be told (one statement)."""
    if not quiet_user_ids:
        return []
    partners = accountability_partners
    ids = uuid_array("quiet_ids", quiet_user_ids)
    accepted = partners.c.status == "accepted"
    sides = sa.union_all(
        sa.select(
            partners.c.id,
            partners.c.user_id.label("quiet_id"),
            partners.c.partner_user_id.label("recipient_id"),
            partners.c.accepted_at,
        ).where(partners.c.user_id == sa.any_(ids), accepted),
        sa.select(
            partners.c.id,
            partners.c.partner_user_id.label("quiet_id"),
            partners.c.user_id.label("recipient_id"),
            partners.c.accepted_at,
        ).where(partners.c.partner_user_id == sa.any_(ids), accepted),
    ).subquery("sides")
    quiet = users.alias("quiet")
    recipient = users.alias("recipient")
    silent_since = sa.func.greatest(
        _last_answer_date(sides.c.quiet_id, CheckInStatus.COMPLETED),
        _last_answer_date(sides.c.quiet_id, CheckInStatus.REST_DAY),
        local_date_at(quiet.c.timezone, sides.c.accepted_at),
    ).label("silent_since")
    days_param = sa.bindparam("days", days, type_=sa.Integer)
    now_param = sa.bindparam("now", now, type_=sa.DateTime(timezone=True))
    pairs = (
        sa.select(
            sides.c.id, sides.c.quiet_id, quiet.c.name, quiet.c.timezone, sides.c.recipient_id, silent_since
        )
        .join(quiet, quiet.c.id == sides.c.quiet_id)
        .join(recipient, recipient.c.id == sides.c.recipient_id)
        .where(recipient.c.status == "active")
        .subquery("pairs")
    )
    result = await connection.execute(
        sa.select(
            pairs.c.id,
            pairs.c.quiet_id,
            pairs.c.name,
            pairs.c.recipient_id,
            pairs.c.silent_since,
            notice_instant(pairs.c.timezone, pairs.c.silent_since, days_param).label("notice_at"),
            (local_date_at(pairs.c.timezone, now_param) - pairs.c.silent_since).label("days_silent"),
        ).order_by(pairs.c.quiet_id, pairs.c.recipient_id)
    )
    return [
        SilentPartnership(
            partnership_id=row.id,
            quiet_user_id=row.quiet_id,
            quiet_user_name=row.name,
            recipient_id=row.recipient_id,
            silent_since=row.silent_since,
            notice_at=row.notice_at,
            days_silent=row.days_silent,
        )
        for row in result
    ]


async def rearm_or_clear(
    connection: AsyncConnection, next_due: dict[UUID, datetime | None], *, now: datetime
) -> None:
    """Set each user's next instant, or delete their row when None (two statements for any number)."""
    cleared = [user_id for user_id, due_at in next_due.items() if due_at is None]
    rearmed = {user_id: due_at for user_id, due_at in next_due.items() if due_at is not None}
    due = partner_inactive_due
    if cleared:
        await connection.execute(
            sa.delete(due).where(due.c.user_id == sa.any_(uuid_array("cleared", cleared)))
        )
    if rearmed:
        update = (
            sa.func.unnest(
                uuid_array("rearmed", list(rearmed)),
                sa.bindparam("due_at", list(rearmed.values()), type_=ARRAY(sa.DateTime(timezone=True))),
            )
            .table_valued(sa.column("user_id"), sa.column("due_at"), name="next_due")
            .render_derived()
        )
        await connection.execute(
            sa.update(due)
            .where(due.c.user_id == update.c.user_id)
            .values(due_at=update.c.due_at, updated_at=now)
        )
