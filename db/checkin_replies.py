"""The AI reply to a check-in (§3.12): what it is written from, and replacing the template with it.

Both statements name the answer by its row, owner and responded_at: the reply belongs to that answer,
so a row answered again since (a later responded_at) is neither read nor overwritten.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, goals, users
from domain.checkin_ai_reply import AnsweredCheckIn

__all__ = ["answered_checkin", "replace_reply"]


def _the_answer(checkin_id: UUID, user_id: UUID, responded_at: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        check_ins.c.id == checkin_id,
        check_ins.c.user_id == user_id,
        check_ins.c.responded_at == responded_at,
    ]


async def answered_checkin(
    connection: AsyncConnection, *, checkin_id: UUID, user_id: UUID, responded_at: datetime, streak: int
) -> AnsweredCheckIn | None:
    """The answer with its goal and owner; None when the row no longer holds that answer (or is gone)."""
    row = (
        await connection.execute(
            sa.select(
                check_ins.c.status,
                check_ins.c.mood,
                check_ins.c.skip_reason,
                check_ins.c.note,
                goals.c.title,
                goals.c.why_statement,
                users.c.motivation_style,
                users.c.name,
            )
            .select_from(
                check_ins.join(goals, goals.c.id == check_ins.c.goal_id).join(
                    users, users.c.id == check_ins.c.user_id
                )
            )
            .where(*_the_answer(checkin_id, user_id, responded_at))
        )
    ).one_or_none()
    if row is None:
        return None
    return AnsweredCheckIn(
        status=row.status,
        mood=row.mood,
        skip_reason=row.skip_reason,
        note=row.note,
        streak=streak,
        goal_title=row.title,
        why_statement=row.why_statement,
        motivation_style=row.motivation_style,
        name=row.name,
    )


async def replace_reply(
    connection: AsyncConnection, *, checkin_id: UUID, user_id: UUID, responded_at: datetime, reply: str
) -> bool:
    """Store `reply` as the answer's ai_response; False when the row no longer holds that answer."""
    result = await connection.execute(
        sa.update(check_ins).where(*_the_answer(checkin_id, user_id, responded_at)).values(ai_response=reply)
    )
    return result.rowcount == 1
