"""Provider identities linked to accounts (Google, Apple).

The unique constraints decide every race: an identity belongs to one account, an account links one
identity per provider, and `insert_identity` lets the database refuse a second one instead of checking
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import user_identities, users


@dataclass(frozen=True, slots=True)
class IdentityOwner:
    """The account an identity signs into, with what deciding on a session needs."""

    user_id: UUID
    status: str
    token_version: int


@dataclass(frozen=True, slots=True)
class SignInMethods:
    has_password: bool
    providers: frozenset[str]


async def find_identity_owner(
    connection: AsyncConnection, provider: str, subject: str
) -> IdentityOwner | None:
    statement = (
        sa.select(users.c.id, users.c.status, users.c.token_version)
        .select_from(user_identities.join(users, users.c.id == user_identities.c.user_id))
        .where(user_identities.c.provider == provider, user_identities.c.subject == subject)
    )
    row = (await connection.execute(statement)).one_or_none()
    return (
        None
        if row is None
        else IdentityOwner(user_id=row.id, status=row.status, token_version=row.token_version)
    )


async def insert_identity(
    connection: AsyncConnection, user_id: UUID, *, provider: str, subject: str, email: str | None
) -> bool:
    """Link the identity to the user; False when the identity or the user's link to this provider
    already exists (either unique constraint)."""
    statement = (
        insert(user_identities)
        .values(user_id=user_id, provider=provider, subject=subject, email=email)
        .on_conflict_do_nothing()
        .returning(user_identities.c.id)
    )
    return (await connection.execute(statement)).first() is not None


async def linked_provider(connection: AsyncConnection, user_id: UUID, provider: str) -> bool:
    statement = sa.select(
        sa.exists().where(user_identities.c.user_id == user_id, user_identities.c.provider == provider)
    )
    return bool((await connection.execute(statement)).scalar_one())


async def lock_sign_in_methods(connection: AsyncConnection, user_id: UUID) -> SignInMethods | None:
    """The user's password state and linked providers, with the user row locked until the transaction
    ends: two concurrent unlinks of an account's last two identities then decide one after the other."""
    locked = (
        await connection.execute(
            sa.select(users.c.password_hash.is_not(None)).where(users.c.id == user_id).with_for_update()
        )
    ).one_or_none()
    if locked is None:
        return None
    providers = (
        await connection.execute(
            sa.select(user_identities.c.provider).where(user_identities.c.user_id == user_id)
        )
    ).scalars()
    return SignInMethods(has_password=bool(locked[0]), providers=frozenset(providers))


async def delete_identity(connection: AsyncConnection, user_id: UUID, provider: str) -> bool:
    statement = (
        sa.delete(user_identities)
        .where(user_identities.c.user_id == user_id, user_identities.c.provider == provider)
        .returning(user_identities.c.id)
    )
    return (await connection.execute(statement)).first() is not None
