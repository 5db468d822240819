"""How late each due index runs: the age of its oldest row past its due time (0 when none is).

One statement, each part an index-ordered look at the first row of a partial or plain index on the due
column, so it costs a handful of index probes whatever the table sizes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, outgoing_mail, push_deliveries, reminder_slots, users

__all__ = ["DUE_COLUMNS", "due_lags"]

# Job (as the metric's label) → its due column and the rows the index holds. Only the indexes worked
# every minute: for them a lag of minutes means a job or its workers are falling behind (the hourly and
# daily jobs are late by design between their runs).
DUE_COLUMNS: dict[str, tuple[sa.Column[Any], sa.ColumnElement[bool]]] = {
    "push.deliver": (push_deliveries.c.next_attempt_at, push_deliveries.c.status == "pending"),
    "reminders.tick": (reminder_slots.c.next_fire_at, sa.true()),
    "checkins.prompts": (
        check_ins.c.prompt_due_at,
        sa.and_(check_ins.c.status == "pending", check_ins.c.prompt_due_at.is_not(None)),
    ),
    "checkins.followups": (
        check_ins.c.followup_due_at,
        sa.and_(check_ins.c.status == "pending", check_ins.c.followup_due_at.is_not(None)),
    ),
    "reminders.morning": (
        users.c.next_morning_motivation_at,
        users.c.next_morning_motivation_at.is_not(None),
    ),
    "mail.send": (outgoing_mail.c.next_attempt_at, outgoing_mail.c.status == "pending"),
}


async def due_lags(connection: AsyncConnection, *, now: datetime) -> dict[str, float]:
    parts = [
        sa.select(sa.func.min(column)).where(rows).scalar_subquery().label(job.replace(".", "_"))
        for job, (column, rows) in DUE_COLUMNS.items()
    ]
    oldest = (await connection.execute(sa.select(*parts))).one()
    return {
        job: max(0.0, (now - due).total_seconds()) if due is not None and due < now else 0.0
        for job, due in zip(DUE_COLUMNS, oldest, strict=True)
    }
