"""Sign-up and login: the account rules between the request body and the users table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.passwords import hash_password, needs_rehash, verify_password
from api.auth.refusals import account_not_active
from api.auth.schemas import SignupIn, normalized_email
from api.users.profiles import clean_name
from db.referrals import referrer_for_code
from db.users import (
    ACTIVE_STATUS,
    NewUser,
    TokenSubject,
    find_credentials,
    insert_user,
    record_login,
    taken_identity_fields,
)
from domain.errors import Conflict, RuleBroken
from domain.local_time import load_timezone
from domain.referrals import REFERRAL_CODE_ATTEMPTS, new_referral_code, normalized_referral_code


class BadCredentials(Exception):
    """Unknown email, no password on the account, or a wrong password: callers answer 401 alike."""


def ensure_active(status: str) -> None:
    """403 for a disabled or suspended account: it may not open a session."""
    if status != ACTIVE_STATUS:
        raise account_not_active(status)


async def create_account(connection: AsyncConnection, request: SignupIn) -> TokenSubject:
    """Insert the account with a fresh referral code, linked to the owner of the code it signed up
    with (an unknown code is ignored, §3.13); 400 when the email or the username is taken
    (case-insensitively)."""
    load_timezone(request.timezone)
    name = clean_name(request.name)
    email = normalized_email(request.email)
    password_hash = await hash_password(request.password)
    referrer = (
        await referrer_for_code(connection, normalized_referral_code(request.referral_code))
        if request.referral_code
        else None
    )
    for _ in range(REFERRAL_CODE_ATTEMPTS):
        created = await insert_user(
            connection,
            NewUser(
                email=email,
                password_hash=password_hash,
                username=request.username,
                name=name,
                timezone=request.timezone,
                country=request.country.upper() if request.country else None,
                referral_code=new_referral_code(),
                referred_by_user_id=referrer,
            ),
        )
        if created is not None:
            return created
        taken = await taken_identity_fields(connection, email=email, username=request.username)
        if "email" in taken:
            raise RuleBroken("An account with this email already exists.", code="email_taken")
        if "username" in taken:
            raise RuleBroken("This username is already taken.", code="username_taken")
        # Only the generated referral code is left: another account holds it, so draw again.
    raise Conflict("The account could not be created; please try again.")


async def authenticate(
    connection: AsyncConnection, email: str, password: str, *, now: datetime
) -> TokenSubject:
    """The user and token version for valid credentials of an active account, with last_login_at stamped.

    An unknown email spends one decoy verification, so it answers as slowly as a wrong password.
    A right password on a disabled or suspended account is 403: only the owner learns the status.
    """
    credentials = await find_credentials(connection, normalized_email(email))
    password_hash = credentials.password_hash if credentials else None
    verified = await verify_password(password_hash, password)  # spent even when the account is unknown
    if credentials is None or password_hash is None or not verified:
        raise BadCredentials
    ensure_active(credentials.status)
    # The password is at hand only now: the moment to upgrade a hash made with older parameters.
    rehashed = await hash_password(password) if needs_rehash(password_hash) else None
    await record_login(connection, credentials.user_id, now=now, new_password_hash=rehashed)
    return TokenSubject(user_id=credentials.user_id, token_version=credentials.token_version)
