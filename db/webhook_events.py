"""webhook_events: every billing event is stored before it is processed, keyed by its event id (§3.8).

The unique event_id makes delivery idempotent: a replay finds the row and changes nothing. A failed
event keeps its payload and error, and the retry job picks it up again (at most MAX_ATTEMPTS retries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import webhook_events

__all__ = [
    "MAX_RETRIES",
    "EventHeader",
    "StoredWebhookEvent",
    "claim_retryable_events",
    "finish_webhook_event",
    "record_webhook_event",
]

# Failed events are retried while retry_count < MAX_RETRIES (the partial index's predicate).
MAX_RETRIES: Final = 5
# Long enough for any exception text worth reading; a runaway message cannot bloat the table.
_ERROR_MESSAGE_LIMIT: Final = 2000

_events = webhook_events.c


@dataclass(frozen=True, slots=True)
class EventHeader:
    """What the webhook route needs before storing the event: its id, type and user."""

    event_id: str
    event_type: str
    app_user_id: str | None


@dataclass(frozen=True, slots=True)
class StoredWebhookEvent:
    id: UUID
    event_id: str
    payload: dict[str, Any]


async def record_webhook_event(
    connection: AsyncConnection, header: EventHeader, payload: dict[str, Any]
) -> StoredWebhookEvent | None:
    """Store the event as processing; None when its event_id is already stored (a replay)."""
    result = await connection.execute(
        insert(webhook_events)
        .values(
            event_id=header.event_id,
            event_type=header.event_type,
            app_user_id=header.app_user_id,
            payload=payload,
            status="processing",
        )
        .on_conflict_do_nothing(index_elements=[_events.event_id])
        .returning(_events.id)
    )
    row_id = result.scalar_one_or_none()
    return None if row_id is None else StoredWebhookEvent(row_id, header.event_id, payload)


async def finish_webhook_event(
    connection: AsyncConnection,
    row_id: UUID,
    *,
    error_message: str | None,
    is_retry: bool,
    now: datetime,
) -> None:
    """Mark the event completed (no error) or failed (with the error); a retry also counts itself."""
    await connection.execute(
        sa.update(webhook_events)
        .where(_events.id == row_id)
        .values(
            status="completed" if error_message is None else "failed",
            error_message=None if error_message is None else error_message[:_ERROR_MESSAGE_LIMIT],
            processed_at=now,
            retry_count=_events.retry_count + (1 if is_retry else 0),
            updated_at=now,
        )
    )


async def claim_retryable_events(
    connection: AsyncConnection, *, created_before: datetime, limit: int
) -> list[StoredWebhookEvent]:
    """The oldest failed events stored before `created_before` with retries left, of any type, locked
    (SKIP LOCKED) so two retry runs never take the same event."""
    result = await connection.execute(
        sa.select(_events.id, _events.event_id, _events.payload)
        .where(
            # Literal constants, as in the partial index predicate, so the planner can prove it.
            _events.status == sa.literal_column("'failed'"),
            _events.retry_count < sa.literal_column(str(MAX_RETRIES)),
            _events.created_at < created_before,
        )
        .order_by(_events.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [StoredWebhookEvent(row.id, row.event_id, row.payload) for row in result]
