"""What the check-in and home tests share: goals and rows inserted directly, local instants, answering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.tables import check_ins, goals
from domain.streaks import GoalStreakStats
from tests.support.rows import pending_day_end
from tests.support.users import ApiUser

CHECK_INS = "/api/v1/check-ins"


def at_local(zone: str, day: date, wall: time) -> datetime:
    """The UTC instant at which the clock in `zone` shows `wall` on `day` (first occurrence)."""
    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def insert_checkin(
    connection: AsyncConnection,
    user_id: UUID,
    goal_id: UUID,
    day: date,
    status: str = "pending",
    **columns: Any,
) -> UUID:
    values = {"user_id": user_id, "goal_id": goal_id, "check_in_date": day, "status": status, **columns}
    if status == "pending":
        values.setdefault("missed_due_at", pending_day_end(user_id, day))
    checkin_id: UUID = (
        await connection.execute(sa.insert(check_ins).values(values).returning(check_ins.c.id))
    ).scalar_one()
    return checkin_id


async def goal_stats(connection: AsyncConnection, goal_id: UUID) -> GoalStreakStats:
    columns = [goals.c[name] for name in GoalStreakStats.__dataclass_fields__]
    row = (await connection.execute(sa.select(*columns).where(goals.c.id == goal_id))).one()
    return GoalStreakStats(**row._mapping)


async def rows_of_goal(connection: AsyncConnection, goal_id: UUID) -> list[sa.Row[Any]]:
    result = await connection.execute(
        sa.select(check_ins).where(check_ins.c.goal_id == goal_id).order_by(check_ins.c.check_in_date)
    )
    return list(result)


async def answer(
    client: httpx.AsyncClient, user: ApiUser, goal_id: UUID, *, completed: bool = True, **body: Any
) -> httpx.Response:
    return await client.post(
        CHECK_INS, json={"goal_id": str(goal_id), "completed": completed, **body}, headers=user.headers
    )


@contextmanager
def counted_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (savepoints, which stand in for the request's
    transaction in tests, left out)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
