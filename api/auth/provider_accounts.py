"""Accounts behind Google and Apple identities: sign-in (finding or creating the account), linking an
identity to the caller's account, and unlinking it.

Sign-in with an identity nobody linked yet goes to the account with the same email only when both
sides vouch for that email: the provider (`email_verified`) and our account (its email was verified).
Anything less would let whoever signed up first with someone else's address, unverified, end up
sharing that person's account; such a sign-in is refused with 409 `email_in_use`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.accounts import ensure_active
from api.auth.id_tokens import PROVIDER_LABELS, IdentityProvider, ProviderIdentity
from db.referrals import referrer_for_code
from db.user_identities import (
    delete_identity,
    find_identity_owner,
    insert_identity,
    linked_provider,
    lock_sign_in_methods,
)
from db.users import (
    NewUser,
    TokenSubject,
    find_credentials,
    insert_user,
    record_login,
)
from domain.errors import Conflict, NotFound, RuleBroken
from domain.referrals import new_referral_code, normalized_referral_code

NAME_MAX_LENGTH = 100
USERNAME_MAX_LENGTH = 24
USERNAME_MIN_LENGTH = 3
USERNAME_FALLBACK = "fitnudge"
# A taken username gets a random 4-digit suffix; this many tries make a clash practically impossible.
USERNAME_ATTEMPTS = 8


def _username_base(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate:
            cleaned = re.sub(r"[^a-z0-9_]", "", re.sub(r"\s+", "_", candidate.strip().lower()))
            if len(cleaned) >= USERNAME_MIN_LENGTH:
                return cleaned[:USERNAME_MAX_LENGTH]
    return USERNAME_FALLBACK


def _usernames(base: str) -> Iterator[str]:
    yield base
    stem = base[: USERNAME_MAX_LENGTH - 5]
    for _ in range(USERNAME_ATTEMPTS - 1):
        yield f"{stem}_{secrets.randbelow(10_000):04d}"


async def _create_account(
    connection: AsyncConnection,
    identity: ProviderIdentity,
    email: str,
    *,
    name: str | None,
    referral_code: str | None,
) -> TokenSubject:
    local_part = email.split("@", 1)[0]
    display_name = (name or identity.name or local_part).strip()[:NAME_MAX_LENGTH] or USERNAME_FALLBACK
    referrer = (
        await referrer_for_code(connection, normalized_referral_code(referral_code))
        if referral_code
        else None
    )
    for username in _usernames(_username_base(name, identity.name, local_part)):
        created = await insert_user(
            connection,
            NewUser(
                email=email,
                password_hash=None,
                username=username,
                name=display_name,
                timezone="UTC",
                country=None,
                referral_code=new_referral_code(),
                referred_by_user_id=referrer,
                auth_provider=identity.provider.value,
                email_verified=identity.email_verified,
            ),
        )
        if created is not None:
            return created
        if await find_credentials(connection, email) is not None:
            break  # a concurrent sign-up took the email
    raise Conflict("The account could not be created; please try again.")


@dataclass(frozen=True, slots=True)
class ProviderSignIn:
    subject: TokenSubject
    # A new account was made for the identity (a signup, for product analytics).
    created: bool


async def _account_for_new_identity(
    connection: AsyncConnection, identity: ProviderIdentity, *, name: str | None, referral_code: str | None
) -> ProviderSignIn:
    label = PROVIDER_LABELS[identity.provider]
    if identity.email is None:
        raise RuleBroken(
            f"{label} did not share an email address; it is needed to create an account.",
            code="email_required",
        )
    existing = await find_credentials(connection, identity.email)
    if existing is None:
        created = await _create_account(
            connection, identity, identity.email, name=name, referral_code=referral_code
        )
        return ProviderSignIn(created, created=True)
    if not (identity.email_verified and existing.email_verified):
        raise Conflict(
            f"An account with this email already exists. Sign in to it, then link {label} "
            "under Linked accounts.",
            code="email_in_use",
        )
    ensure_active(existing.status)
    return ProviderSignIn(
        TokenSubject(user_id=existing.user_id, token_version=existing.token_version), created=False
    )


async def sign_in_with_identity(
    connection: AsyncConnection,
    identity: ProviderIdentity,
    *,
    name: str | None,
    referral_code: str | None,
    now: datetime,
) -> ProviderSignIn:
    """The account the identity signs into: its linked account, else the account of the same
    (doubly verified) email, else a new one; the identity is linked to the last two."""
    owner = await find_identity_owner(connection, identity.provider.value, identity.subject)
    if owner is not None:
        ensure_active(owner.status)
        sign_in = ProviderSignIn(
            TokenSubject(user_id=owner.user_id, token_version=owner.token_version), False
        )
    else:
        sign_in = await _account_for_new_identity(
            connection, identity, name=name, referral_code=referral_code
        )
        await _attach(connection, sign_in.subject.user_id, identity)
    await record_login(connection, sign_in.subject.user_id, now=now)
    return sign_in


async def _attach(connection: AsyncConnection, user_id: UUID, identity: ProviderIdentity) -> None:
    if await insert_identity(
        connection, user_id, provider=identity.provider.value, subject=identity.subject, email=identity.email
    ):
        return
    if await linked_provider(connection, user_id, identity.provider.value):
        raise Conflict(
            f"Another {PROVIDER_LABELS[identity.provider]} account is already linked to this account; "
            "unlink it first.",
            code="provider_already_linked",
        )
    raise _linked_elsewhere(identity.provider)


def _linked_elsewhere(provider: IdentityProvider) -> Conflict:
    return Conflict(
        f"This {PROVIDER_LABELS[provider]} account is linked to another account.",
        code="identity_linked_elsewhere",
    )


async def link_identity(connection: AsyncConnection, user_id: UUID, identity: ProviderIdentity) -> bool:
    """Link the identity to the user's account; False when it already was. 409 when it belongs to
    another account or the user has linked another identity of the provider."""
    owner = await find_identity_owner(connection, identity.provider.value, identity.subject)
    if owner is not None and owner.user_id == user_id:
        return False
    if owner is not None:
        raise _linked_elsewhere(identity.provider)
    await _attach(connection, user_id, identity)
    return True


async def unlink_identity(connection: AsyncConnection, user_id: UUID, provider: IdentityProvider) -> None:
    """Remove the user's link to the provider, unless it is their last way to sign in (400)."""
    label = PROVIDER_LABELS[provider]
    methods = await lock_sign_in_methods(connection, user_id)
    if methods is None or provider.value not in methods.providers:
        raise NotFound(f"No {label} account is linked to this account.", code="provider_not_linked")
    if not methods.has_password and methods.providers == {provider.value}:
        raise RuleBroken(
            f"{label} is your only way to sign in. Set a password or link another account first.",
            code="last_sign_in_method",
        )
    await delete_identity(connection, user_id, provider.value)
