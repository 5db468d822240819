"""Email verification codes: one live code per user (a new one replaces the last), hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import email_verification_codes as codes


@dataclass(frozen=True, slots=True)
class StoredCode:
    code_hash: str
    attempts: int
    expires_at: datetime
    sent_at: datetime


async def replace_code(
    connection: AsyncConnection, user_id: UUID, code_hash: str, *, expires_at: datetime, now: datetime
) -> None:
    statement = insert(codes).values(
        user_id=user_id, code_hash=code_hash, attempts=0, expires_at=expires_at, sent_at=now
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[codes.c.user_id],
            set_={"code_hash": code_hash, "attempts": 0, "expires_at": expires_at, "sent_at": now},
        )
    )


async def lock_code(connection: AsyncConnection, user_id: UUID) -> StoredCode | None:
    """The user's live code, row-locked so concurrent guesses are counted one after the other."""
    statement = (
        sa.select(codes.c.code_hash, codes.c.attempts, codes.c.expires_at, codes.c.sent_at)
        .where(codes.c.user_id == user_id)
        .with_for_update()
    )
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else StoredCode(*row)


async def count_failed_attempt(connection: AsyncConnection, user_id: UUID) -> int:
    """Add one wrong guess; returns the attempts used."""
    attempts: int = await connection.scalar(
        sa.update(codes)
        .where(codes.c.user_id == user_id)
        .values(attempts=codes.c.attempts + 1)
        .returning(codes.c.attempts)
    )
    return attempts


async def delete_code(connection: AsyncConnection, user_id: UUID) -> None:
    await connection.execute(sa.delete(codes).where(codes.c.user_id == user_id))
