"""Password reset tokens: stored as hashes, single use, with an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import password_reset_tokens as tokens


@dataclass(frozen=True, slots=True)
class StoredResetToken:
    id: UUID
    user_id: UUID
    expires_at: datetime
    used_at: datetime | None


async def insert_reset_token(
    connection: AsyncConnection, user_id: UUID, token_hash: str, *, expires_at: datetime
) -> None:
    await connection.execute(
        sa.insert(tokens).values(user_id=user_id, token_hash=token_hash, expires_at=expires_at)
    )


async def retire_user_reset_tokens(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> None:
    """Mark every unused token of the user used: only the newest mail's link works, and none after a
    reset."""
    await connection.execute(
        sa.update(tokens).where(tokens.c.user_id == user_id, tokens.c.used_at.is_(None)).values(used_at=now)
    )


async def find_reset_token(
    connection: AsyncConnection, token_hash: str, *, for_update: bool
) -> StoredResetToken | None:
    statement = sa.select(tokens.c.id, tokens.c.user_id, tokens.c.expires_at, tokens.c.used_at).where(
        tokens.c.token_hash == token_hash
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else StoredResetToken(*row)
