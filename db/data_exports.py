"""Data exports (data_exports) and their stored documents (data_export_chunks).

A request inserts the row keyed by the user's local date, so the database alone refuses a second one
that day. The build claims the row (attempts + 1, committed), then in one transaction locks it, drops
any chunks a crashed build left, appends the new chunks and marks it completed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import data_export_chunks, data_exports, notification_preferences, users

PENDING = "pending"
COMPLETED = "completed"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ExportRow:
    id: UUID
    user_id: UUID
    status: str
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None


_EXPORT_COLUMNS = (
    data_exports.c.id,
    data_exports.c.user_id,
    data_exports.c.status,
    data_exports.c.created_at,
    data_exports.c.completed_at,
    data_exports.c.expires_at,
)


async def insert_export(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> UUID | None:
    """A pending export dated on the user's local day; None when that day already has one."""
    local_date = sa.cast(
        sa.func.timezone(users.c.timezone, sa.literal(now, sa.DateTime(timezone=True))), sa.Date
    )
    statement = (
        pg_insert(data_exports)
        .from_select(
            ["user_id", "requested_on"], sa.select(users.c.id, local_date).where(users.c.id == user_id)
        )
        .on_conflict_do_nothing(index_elements=["user_id", "requested_on"])
        .returning(data_exports.c.id)
    )
    export_id: UUID | None = await connection.scalar(statement)
    return export_id


async def own_export(connection: AsyncConnection, export_id: UUID, user_id: UUID) -> ExportRow | None:
    row = (
        await connection.execute(
            sa.select(*_EXPORT_COLUMNS).where(
                data_exports.c.id == export_id, data_exports.c.user_id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else ExportRow(*row)


async def completed_export(connection: AsyncConnection, export_id: UUID) -> ExportRow | None:
    row = (
        await connection.execute(
            sa.select(*_EXPORT_COLUMNS).where(
                data_exports.c.id == export_id, data_exports.c.status == COMPLETED
            )
        )
    ).one_or_none()
    return None if row is None else ExportRow(*row)


async def count_attempt(connection: AsyncConnection, export_id: UUID, *, now: datetime) -> bool:
    """Record that a build starts; False when the export is no longer pending (built, failed, gone)."""
    result = await connection.execute(
        sa.update(data_exports)
        .where(data_exports.c.id == export_id, data_exports.c.status == PENDING)
        .values(attempts=data_exports.c.attempts + 1, updated_at=now)
    )
    return result.rowcount == 1


async def lock_pending(connection: AsyncConnection, export_id: UUID) -> UUID | None:
    """Lock a pending export for its build and clear what an interrupted build stored; its user's id."""
    user_id: UUID | None = await connection.scalar(
        sa.select(data_exports.c.user_id)
        .where(data_exports.c.id == export_id, data_exports.c.status == PENDING)
        .with_for_update()
    )
    if user_id is not None:
        await connection.execute(
            sa.delete(data_export_chunks).where(data_export_chunks.c.export_id == export_id)
        )
    return user_id


async def append_chunk(connection: AsyncConnection, export_id: UUID, seq: int, body: str) -> None:
    await connection.execute(sa.insert(data_export_chunks).values(export_id=export_id, seq=seq, body=body))


async def mark_completed(
    connection: AsyncConnection, export_id: UUID, *, now: datetime, expires_at: datetime
) -> None:
    await connection.execute(
        sa.update(data_exports)
        .where(data_exports.c.id == export_id)
        .values(status=COMPLETED, completed_at=now, expires_at=expires_at, updated_at=now)
    )


async def chunk_after(connection: AsyncConnection, export_id: UUID, seq: int) -> tuple[int, str] | None:
    """The next chunk of a document after `seq` (-1 for the first); one chunk per statement."""
    row = (
        await connection.execute(
            sa.select(data_export_chunks.c.seq, data_export_chunks.c.body)
            .where(data_export_chunks.c.export_id == export_id, data_export_chunks.c.seq > seq)
            .order_by(data_export_chunks.c.seq)
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else (row.seq, row.body)


async def stuck_exports(
    connection: AsyncConnection, *, started_before: datetime, limit: int
) -> Sequence[tuple[UUID, int]]:
    """Pending exports untouched since `started_before` (lost message, dead worker): (id, attempts)."""
    rows = await connection.execute(
        sa.select(data_exports.c.id, data_exports.c.attempts)
        .where(data_exports.c.status == PENDING, data_exports.c.updated_at < started_before)
        .order_by(data_exports.c.updated_at)
        .limit(limit)
    )
    return [(row.id, row.attempts) for row in rows]


async def mark_failed(connection: AsyncConnection, export_ids: Sequence[UUID], *, now: datetime) -> None:
    await connection.execute(
        sa.update(data_exports)
        .where(data_exports.c.id.in_(export_ids), data_exports.c.status == PENDING)
        .values(status=FAILED, updated_at=now)
    )


async def touch(connection: AsyncConnection, export_ids: Sequence[UUID], *, now: datetime) -> None:
    """Restart the stuck clock of re-enqueued exports, so one sweep does not enqueue them twice."""
    await connection.execute(
        sa.update(data_exports).where(data_exports.c.id.in_(export_ids)).values(updated_at=now)
    )


async def delete_exports_created_before(connection: AsyncConnection, before: datetime, *, limit: int) -> int:
    """Delete up to `limit` exports (their chunks follow by cascade); how many went."""
    batch = (
        sa.select(data_exports.c.id).where(data_exports.c.created_at < before).limit(limit).scalar_subquery()
    )
    result = await connection.execute(sa.delete(data_exports).where(data_exports.c.id.in_(batch)))
    return result.rowcount


# The exporting user in a section's ownership condition: one statement text per section, whoever exports.
EXPORT_OWNER: Final = sa.bindparam("owner_id", type_=PG_UUID(as_uuid=True))


async def owned_rows_after(
    connection: AsyncConnection,
    columns: Sequence[sa.ColumnElement[Any]],
    owned: sa.ColumnElement[bool],
    keyed: sa.Table,
    user_id: UUID,
    after: tuple[datetime, UUID] | None,
    *,
    limit: int,
) -> list[dict[str, Any]]:
    """One keyset batch of a user's rows in `keyed`'s (created_at, id) order; `owned` (written with
    EXPORT_OWNER) picks the user's rows and `columns` must include `keyed`'s created_at and id."""
    statement = sa.select(*columns).where(owned)
    if after is not None:
        statement = statement.where(sa.tuple_(keyed.c.created_at, keyed.c.id) > sa.tuple_(*after))
    statement = statement.order_by(keyed.c.created_at, keyed.c.id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(statement, {"owner_id": user_id})]


# Never exported: credentials and the server's own bookkeeping of them.
_PROFILE_HIDDEN = frozenset({"password_hash", "token_version"})


async def export_profile(connection: AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    columns = [column for column in users.c if column.name not in _PROFILE_HIDDEN]
    row = (await connection.execute(sa.select(*columns).where(users.c.id == user_id))).one_or_none()
    return None if row is None else dict(row._mapping)


async def export_notification_preferences(
    connection: AsyncConnection, user_id: UUID
) -> dict[str, Any] | None:
    row = (
        await connection.execute(
            sa.select(notification_preferences).where(notification_preferences.c.user_id == user_id)
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)
