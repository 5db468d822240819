"""Accounts: sign-up, credentials, token versions, the profile, onboarding, activity and the
morning-motivation instant.

Every function is scoped to one user (or to the set of user ids it is given) and never commits.
Uniqueness of email and username is enforced by the unique indexes on lower(email) and
lower(username); `insert_user` lets the database decide races instead of checking first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from db.sql_arrays import uuid_array
from db.tables import subscriptions, user_identities, users
from domain.schedule import next_morning_motivation_at

# users.status of an account that may log in; disabled and suspended ones may not.
ACTIVE_STATUS = "active"

# The columns PUT /users/profile may change; anything else is refused before SQL is built.
PROFILE_COLUMNS = frozenset(
    {
        "name",
        "username",
        "bio",
        "timezone",
        "language",
        "country",
        "profile_picture_url",
        "motivation_style",
        "morning_motivation_enabled",
        "morning_motivation_time",
    }
)


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    # None for accounts made by a Google or Apple sign-in: they sign in through the provider.
    password_hash: str | None
    username: str
    name: str
    timezone: str
    country: str | None
    referral_code: str
    referred_by_user_id: UUID | None
    auth_provider: str = "email"
    email_verified: bool = False


@dataclass(frozen=True, slots=True)
class TokenSubject:
    """Whom tokens are issued to: the user and the token version they must carry."""

    user_id: UUID
    token_version: int


@dataclass(frozen=True, slots=True)
class AccessState:
    """What decides whether a user's access tokens are honoured: the version they must carry and the
    account status (api/auth/access_states.py)."""

    token_version: int
    status: str


@dataclass(frozen=True, slots=True)
class Credentials:
    user_id: UUID
    password_hash: str | None
    status: str
    token_version: int
    email_verified: bool


@dataclass(frozen=True, slots=True)
class UserProfile:
    """A user row as the API shows it, plus what the effective plan is derived from."""

    id: UUID
    email: str
    auth_provider: str
    email_verified: bool
    username: str
    name: str
    profile_picture_url: str | None
    bio: str | None
    timezone: str
    language: str
    country: str | None
    status: str
    role: str
    motivation_style: str
    morning_motivation_enabled: bool
    morning_motivation_time: time
    referral_code: str | None
    onboarding_completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    has_password: bool
    linked_providers: list[str]
    subscription_status: str | None


@dataclass(frozen=True, slots=True)
class PublicProfile:
    """What any signed-in user may see of another account (§3.13): never its email, status, plan,
    settings or activity."""

    id: UUID
    username: str
    name: str
    profile_picture_url: str | None
    bio: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OnboardedUser:
    user_id: UUID
    name: str
    motivation_style: str
    morning_motivation_enabled: bool


_PROFILE_SELECT = sa.select(
    users.c.id,
    users.c.email,
    users.c.auth_provider,
    users.c.email_verified,
    users.c.username,
    users.c.name,
    users.c.profile_picture_url,
    users.c.bio,
    users.c.timezone,
    users.c.language,
    users.c.country,
    users.c.status,
    users.c.role,
    users.c.motivation_style,
    users.c.morning_motivation_enabled,
    users.c.morning_motivation_time,
    users.c.referral_code,
    users.c.onboarding_completed_at,
    users.c.created_at,
    users.c.updated_at,
    users.c.last_login_at,
    users.c.password_hash.is_not(None).label("has_password"),
    sa.func.array(
        sa.select(user_identities.c.provider)
        .where(user_identities.c.user_id == users.c.id)
        .order_by(user_identities.c.provider)
        .scalar_subquery()
    ).label("linked_providers"),
    subscriptions.c.status.label("subscription_status"),
).select_from(users.outerjoin(subscriptions, subscriptions.c.user_id == users.c.id))


async def insert_user(connection: AsyncConnection, new_user: NewUser) -> TokenSubject | None:
    """Insert the account; None when a unique index (email, username, referral code) already holds
    the value. A concurrent sign-up with the same email waits for the other transaction and then
    does nothing, so a race never surfaces as an error."""
    statement = (
        insert(users)
        .values(
            email=new_user.email,
            password_hash=new_user.password_hash,
            username=new_user.username,
            name=new_user.name,
            timezone=new_user.timezone,
            country=new_user.country,
            referral_code=new_user.referral_code,
            referred_by_user_id=new_user.referred_by_user_id,
            auth_provider=new_user.auth_provider,
            email_verified=new_user.email_verified,
        )
        .on_conflict_do_nothing()
        .returning(users.c.id, users.c.token_version)
    )
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else TokenSubject(user_id=row.id, token_version=row.token_version)


async def taken_identity_fields(connection: AsyncConnection, *, email: str, username: str) -> set[str]:
    """Which of "email" and "username" another account already uses (case-insensitively)."""
    email_matches = sa.func.lower(users.c.email) == sa.func.lower(email)
    username_matches = sa.func.lower(users.c.username) == sa.func.lower(username)
    statement = sa.select(email_matches, username_matches).where(sa.or_(email_matches, username_matches))
    taken: set[str] = set()
    for email_taken, username_is_taken in (await connection.execute(statement)).all():
        if email_taken:
            taken.add("email")
        if username_is_taken:
            taken.add("username")
    return taken


async def username_taken(connection: AsyncConnection, username: str, *, other_than: UUID) -> bool:
    statement = sa.select(
        sa.exists().where(
            sa.func.lower(users.c.username) == sa.func.lower(username), users.c.id != other_than
        )
    )
    return bool((await connection.execute(statement)).scalar_one())


async def find_credentials(connection: AsyncConnection, email: str) -> Credentials | None:
    statement = sa.select(
        users.c.id, users.c.password_hash, users.c.status, users.c.token_version, users.c.email_verified
    ).where(sa.func.lower(users.c.email) == sa.func.lower(email))
    row = (await connection.execute(statement)).one_or_none()
    return (
        None
        if row is None
        else Credentials(
            user_id=row.id,
            password_hash=row.password_hash,
            status=row.status,
            token_version=row.token_version,
            email_verified=row.email_verified,
        )
    )


async def record_login(
    connection: AsyncConnection, user_id: UUID, *, now: datetime, new_password_hash: str | None = None
) -> None:
    """Stamp last_login_at; store a re-hashed password when the hashing parameters were raised.

    The stamp alone is bookkeeping and leaves updated_at alone; a new hash is a change of the account."""
    values: dict[str, Any] = {"last_login_at": now}
    if new_password_hash is not None:
        values.update(password_hash=new_password_hash, updated_at=now)
    await connection.execute(sa.update(users).where(users.c.id == user_id).values(values))


async def fetch_profile(connection: AsyncConnection, user_id: UUID) -> UserProfile | None:
    row = (await connection.execute(_PROFILE_SELECT.where(users.c.id == user_id))).one_or_none()
    return None if row is None else UserProfile(**row._asdict())


async def fetch_public_profile(connection: AsyncConnection, user_id: UUID) -> PublicProfile | None:
    """The public fields of an active account; None when there is none with this id (a disabled or
    suspended account is shown to nobody)."""
    statement = sa.select(
        users.c.id,
        users.c.username,
        users.c.name,
        users.c.profile_picture_url,
        users.c.bio,
        users.c.created_at,
    ).where(users.c.id == user_id, users.c.status == ACTIVE_STATUS)
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else PublicProfile(**row._mapping)


async def update_profile(
    connection: AsyncConnection, user_id: UUID, changes: Mapping[str, object], *, now: datetime
) -> bool:
    """Write the given profile columns of the user; False when the user no longer exists."""
    unknown = set(changes) - PROFILE_COLUMNS
    if unknown:
        raise ValueError(f"not profile columns: {sorted(unknown)}")
    statement = (
        sa.update(users)
        .where(users.c.id == user_id)
        .values({**changes, "updated_at": now})
        .returning(users.c.id)
    )
    return (await connection.execute(statement)).first() is not None


async def complete_onboarding(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    name: str,
    motivation_style: str,
    morning_motivation_enabled: bool | None,
    morning_motivation_time: time | None,
    now: datetime,
) -> OnboardedUser | None:
    """Store the onboarding answers; the first completion time is kept when onboarding is repeated."""
    values: dict[str, Any] = {
        "name": name,
        "motivation_style": motivation_style,
        "onboarding_completed_at": sa.func.coalesce(users.c.onboarding_completed_at, now),
        "updated_at": now,
    }
    if morning_motivation_enabled is not None:
        values["morning_motivation_enabled"] = morning_motivation_enabled
    if morning_motivation_time is not None:
        values["morning_motivation_time"] = morning_motivation_time
    statement = (
        sa.update(users)
        .where(users.c.id == user_id)
        .values(values)
        .returning(users.c.id, users.c.name, users.c.motivation_style, users.c.morning_motivation_enabled)
    )
    row = (await connection.execute(statement)).one_or_none()
    if row is None:
        return None
    return OnboardedUser(
        user_id=row.id,
        name=row.name,
        motivation_style=row.motivation_style,
        morning_motivation_enabled=row.morning_motivation_enabled,
    )


async def refresh_morning_motivation(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime
) -> None:
    """Set next_morning_motivation_at of these users to the next local morning_motivation_time after
    `now`, or NULL when the morning notice is off or the user has not finished onboarding.

    Two statements whatever the number of users: read their zones and times, then one UPDATE from
    unnest() of the computed instants (the DST rules live in domain.schedule, not in SQL). The
    instant is derived data, advanced daily by the morning job, so updated_at is left alone.
    """
    if not user_ids:
        return
    rows = (
        await connection.execute(
            sa.select(
                users.c.id,
                users.c.timezone,
                users.c.morning_motivation_time,
                users.c.morning_motivation_enabled,
                users.c.onboarding_completed_at.is_not(None).label("onboarded"),
            ).where(users.c.id == sa.any_(uuid_array("ids", user_ids)))
        )
    ).all()
    if not rows:
        return
    due = (
        sa.func.unnest(
            uuid_array("due_ids", [row.id for row in rows]),
            sa.bindparam(
                "due_at",
                [
                    next_morning_motivation_at(row.morning_motivation_time, row.timezone, now)
                    if row.morning_motivation_enabled and row.onboarded
                    else None
                    for row in rows
                ],
                type_=ARRAY(sa.DateTime(timezone=True)),
            ),
        )
        .table_valued("user_id", "due_at")
        .render_derived(name="due")
    )
    await connection.execute(
        sa.update(users).where(users.c.id == due.c.user_id).values(next_morning_motivation_at=due.c.due_at)
    )


# Built once, like the other request-path statements: a statement object memoizes its cache key, so
# SQLAlchemy skips rebuilding and re-hashing it on every batch of first requests of an interval.
_BUMP_LAST_ACTIVE: Final = (
    sa.update(users)
    .where(
        users.c.id == sa.any_(sa.bindparam("user_ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
        sa.or_(
            users.c.last_active_at.is_(None),
            users.c.last_active_at < sa.bindparam("stale_before", type_=users.c.last_active_at.type),
        ),
    )
    .values(last_active_at=sa.bindparam("now", type_=users.c.last_active_at.type))
)


async def bump_last_active(
    connection: AsyncConnection, user_ids: Sequence[UUID], *, now: datetime, min_interval: timedelta
) -> None:
    """Move these users' last_active_at to `now`, except where it was set less than `min_interval`
    ago (no write there).

    Like next_morning_motivation_at, a bookkeeping stamp rather than an edit of the account: it
    leaves updated_at alone, which keeps meaning "the profile last changed"."""
    await connection.execute(
        _BUMP_LAST_ACTIVE, {"user_ids": list(user_ids), "now": now, "stale_before": now - min_interval}
    )


async def delete_user(connection: AsyncConnection, user_id: UUID) -> bool:
    """Delete the account; every row it owns goes with it through ON DELETE CASCADE foreign keys."""
    statement = sa.delete(users).where(users.c.id == user_id).returning(users.c.id)
    return (await connection.execute(statement)).first() is not None


async def user_timezones(connection: AsyncConnection, user_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The timezone of each existing user among `user_ids` (unknown ids are left out)."""
    if not user_ids:
        return {}
    rows = await connection.execute(
        sa.select(users.c.id, users.c.timezone).where(users.c.id.in_(list(user_ids)))
    )
    return {row.id: row.timezone for row in rows}


# Read on every authenticated request whose cached state is missing (api/auth/access_states.py).
_READ_ACCESS_STATE: Final = sa.select(users.c.token_version, users.c.status).where(
    users.c.id == sa.bindparam("user_id", type_=users.c.id.type)
)


async def read_access_state(connection: AsyncConnection, user_id: UUID) -> AccessState | None:
    """The user's token version and status; None when the account does not exist (deleted)."""
    row = (await connection.execute(_READ_ACCESS_STATE, {"user_id": user_id})).one_or_none()
    return None if row is None else AccessState(token_version=row.token_version, status=row.status)


async def bump_token_version(connection: AsyncConnection, user_id: UUID) -> AccessState | None:
    """Move the user to the next token version, so every token issued until now is refused; None when
    the user does not exist. The row stays locked until the transaction ends, and the state returned
    includes any status change the transaction already made.

    Bookkeeping like last_active_at: updated_at is left to the change that caused the bump."""
    statement = (
        sa.update(users)
        .where(users.c.id == user_id)
        .values(token_version=users.c.token_version + 1)
        .returning(users.c.token_version, users.c.status)
    )
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else AccessState(token_version=row.token_version, status=row.status)


@dataclass(frozen=True, slots=True)
class EmailAccount:
    """An account as the email routes (verification, password reset) need it."""

    user_id: UUID
    email: str
    email_verified: bool
    status: str


_EMAIL_ACCOUNT = sa.select(users.c.id, users.c.email, users.c.email_verified, users.c.status)


async def find_email_account(connection: AsyncConnection, email: str) -> EmailAccount | None:
    statement = _EMAIL_ACCOUNT.where(sa.func.lower(users.c.email) == sa.func.lower(email))
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else EmailAccount(*row)


async def email_account_of(connection: AsyncConnection, user_id: UUID) -> EmailAccount | None:
    row = (await connection.execute(_EMAIL_ACCOUNT.where(users.c.id == user_id))).one_or_none()
    return None if row is None else EmailAccount(*row)


async def lock_credentials(connection: AsyncConnection, user_id: UUID) -> Credentials | None:
    """The user's credentials, row-locked: two password changes of one account run one after the other."""
    statement = (
        sa.select(
            users.c.id, users.c.password_hash, users.c.status, users.c.token_version, users.c.email_verified
        )
        .where(users.c.id == user_id)
        .with_for_update()
    )
    row = (await connection.execute(statement)).one_or_none()
    return None if row is None else Credentials(*row)


async def set_password_hash(
    connection: AsyncConnection, user_id: UUID, password_hash: str, *, now: datetime, email_verified: bool
) -> None:
    """Store a new password hash; `email_verified` also marks the address confirmed (a reset link that
    reached the mailbox proves it)."""
    values: dict[str, Any] = {"password_hash": password_hash, "updated_at": now}
    if email_verified:
        values["email_verified"] = True
    await connection.execute(sa.update(users).where(users.c.id == user_id).values(values))


async def mark_email_verified(connection: AsyncConnection, user_id: UUID, *, now: datetime) -> None:
    await connection.execute(
        sa.update(users).where(users.c.id == user_id).values(email_verified=True, updated_at=now)
    )


@dataclass(frozen=True, slots=True)
class RoleAndName:
    role: str
    name: str


async def role_and_name(connection: AsyncConnection, user_id: UUID) -> RoleAndName | None:
    """What an admin route needs of its caller: the role it checks and the name a byline shows."""
    row = (
        await connection.execute(sa.select(users.c.role, users.c.name).where(users.c.id == user_id))
    ).first()
    return None if row is None else RoleAndName(role=row.role, name=row.name)
