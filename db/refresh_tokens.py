"""Refresh tokens: one row per issued token, grouped in families that rotation extends.

Only a SHA-256 of a token's secret is stored (token_hash). A row stays after it is used or revoked
(is_active false) until it expires, so presenting it again is recognised as reuse; the daily cleanup
deletes rows past expires_at. Each row keeps the user's token version at issue: a token is only
exchanged while it still matches the user's (api/auth/sessions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import refresh_tokens, users


@dataclass(frozen=True, slots=True)
class TokenClient:
    """Where a token was issued to: the device the app reports and the request's address."""

    device_name: str | None = None
    device_id: str | None = None
    device_type: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class NewRefreshToken:
    user_id: UUID
    token_version: int
    token_family: str
    token_id: str
    token_hash: str
    expires_at: datetime
    client: TokenClient


@dataclass(frozen=True, slots=True)
class StoredRefreshToken:
    id: UUID
    user_id: UUID
    token_family: str
    token_hash: str
    is_active: bool
    token_version: int
    created_at: datetime
    expires_at: datetime
    device_name: str | None
    device_id: str | None
    device_type: str | None
    user_status: str
    user_token_version: int


@dataclass(frozen=True, slots=True)
class ExpiredPosition:
    """Keyset position of the cleanup: the last deleted row's (expires_at, id)."""

    expires_at: datetime
    id: UUID


async def insert_refresh_token(connection: AsyncConnection, token: NewRefreshToken, *, now: datetime) -> None:
    await connection.execute(
        sa.insert(refresh_tokens).values(
            user_id=token.user_id,
            token_version=token.token_version,
            token_family=token.token_family,
            token_id=token.token_id,
            token_hash=token.token_hash,
            expires_at=token.expires_at,
            device_name=token.client.device_name,
            device_id=token.client.device_id,
            device_type=token.client.device_type,
            ip_address=token.client.ip_address,
            user_agent=token.client.user_agent,
            created_at=now,
            updated_at=now,
        )
    )


async def lock_refresh_token(
    connection: AsyncConnection, token_family: str, token_id: str
) -> StoredRefreshToken | None:
    """The token row with its owner's status and token version, locked until the transaction ends, so
    two refreshes with the same token are decided one after the other (the second sees it already used)."""
    statement = (
        sa.select(
            refresh_tokens.c.id,
            refresh_tokens.c.user_id,
            refresh_tokens.c.token_family,
            refresh_tokens.c.token_hash,
            refresh_tokens.c.is_active,
            refresh_tokens.c.token_version,
            refresh_tokens.c.created_at,
            refresh_tokens.c.expires_at,
            refresh_tokens.c.device_name,
            refresh_tokens.c.device_id,
            refresh_tokens.c.device_type,
            users.c.status.label("user_status"),
            users.c.token_version.label("user_token_version"),
        )
        .join(users, users.c.id == refresh_tokens.c.user_id)
        .where(refresh_tokens.c.token_family == token_family, refresh_tokens.c.token_id == token_id)
        .with_for_update(of=refresh_tokens)
    )
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else StoredRefreshToken(**row._asdict())


async def retire_refresh_token(connection: AsyncConnection, token_row_id: UUID, *, now: datetime) -> None:
    """Mark a token used: it can never be exchanged again."""
    await connection.execute(
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.id == token_row_id)
        .values(is_active=False, last_used_at=now, updated_at=now)
    )


async def revoke_token_family(connection: AsyncConnection, token_family: str, *, now: datetime) -> int:
    statement = (
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.token_family == token_family, refresh_tokens.c.is_active)
        .values(is_active=False, updated_at=now)
    )
    return (await connection.execute(statement)).rowcount


async def lock_user_refresh_tokens(connection: AsyncConnection, user_id: UUID) -> None:
    """Lock every refresh token row of the user until the transaction ends.

    A refresh locks its token row and then, inserting the next token, takes a share lock on the user
    row; whatever locks the user row for deleting it must take the token rows first, in that same
    order, or the two can deadlock."""
    await connection.execute(
        sa.select(refresh_tokens.c.id).where(refresh_tokens.c.user_id == user_id).with_for_update()
    )


async def revoke_user_tokens(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> int:
    statement = (
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.is_active)
        .values(is_active=False, updated_at=now)
    )
    return (await connection.execute(statement)).rowcount


async def delete_expired_batch(
    connection: AsyncConnection, *, now: datetime, after: ExpiredPosition | None, limit: int
) -> tuple[int, ExpiredPosition | None]:
    """Delete up to `limit` tokens expired before `now`, walking (expires_at, id) past `after`.

    Returns how many were deleted and the position to continue from (None when none were left).
    """
    batch = sa.select(refresh_tokens.c.id).where(refresh_tokens.c.expires_at < now)
    if after is not None:
        batch = batch.where(
            sa.tuple_(refresh_tokens.c.expires_at, refresh_tokens.c.id) > (after.expires_at, after.id)
        )
    batch_ids = batch.order_by(refresh_tokens.c.expires_at, refresh_tokens.c.id).limit(limit).cte("batch")
    statement = (
        sa.delete(refresh_tokens)
        .where(refresh_tokens.c.id.in_(sa.select(batch_ids.c.id)))
        .returning(refresh_tokens.c.expires_at, refresh_tokens.c.id)
    )
    deleted = (await connection.execute(statement)).all()
    if not deleted:
        return 0, None
    last = max(deleted, key=lambda row: (row.expires_at, row.id))
    return len(deleted), ExpiredPosition(expires_at=last.expires_at, id=last.id)
