"""Choosing a password: by reset token (forgot → reset), for a provider-only account (set), or with
the current one (change). Every reset and change ends the account's sessions in its transaction
(api/auth/revocation.py), after the new hash is written.

Reset tokens are 32 random bytes; only their HMAC is stored and looked up (a keyed digest: timing of
the index lookup says nothing about the token). A token is single use, valid for an hour, and a newer
one (or a reset) retires the older ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from api.auth.access_states import AccessStates
from api.auth.passwords import hash_password, password_weakness, verify_password
from api.auth.revocation import revoke_access_tokens
from db.outgoing_mail import MailDraft
from db.password_resets import (
    StoredResetToken,
    find_reset_token,
    insert_reset_token,
    retire_user_reset_tokens,
)
from db.users import (
    ACTIVE_STATUS,
    TokenSubject,
    find_email_account,
    lock_credentials,
    set_password_hash,
)
from domain.errors import RuleBroken
from domain.mail_copy import password_reset_mail
from services.mail import queue_mail
from services.one_time_secrets import SecretHasher, new_reset_token
from services.transaction import Transaction

RESET_TOKEN_VALID_FOR: Final = timedelta(hours=1)
_PURPOSE: Final = "password-reset"


def require_strong(password: str) -> None:
    missing = password_weakness(password)
    if missing is not None:
        raise RuleBroken(f"The new password needs {missing}.", code="weak_password")


async def request_reset(tx: Transaction, hasher: SecretHasher, email: str, *, now: datetime) -> None:
    """Mail a reset token to the account of `email`, if there is an active one; the caller answers
    the same either way (no account enumeration)."""
    account = await find_email_account(tx.connection, email.strip())
    if account is None or account.status != ACTIVE_STATUS:
        return
    token = new_reset_token()
    await retire_user_reset_tokens(tx.connection, account.user_id, now=now)
    await insert_reset_token(
        tx.connection,
        account.user_id,
        hasher.digest(_PURPOSE, token),
        expires_at=now + RESET_TOKEN_VALID_FOR,
    )
    copy = password_reset_mail(token, valid_minutes=int(RESET_TOKEN_VALID_FOR.total_seconds()) // 60)
    await queue_mail(tx, MailDraft(account.email, copy.subject, copy.text, copy.html))


async def usable_reset_token(
    tx: Transaction, hasher: SecretHasher, token: str, *, now: datetime, for_update: bool
) -> StoredResetToken:
    """The stored token, when it is known, unused and unexpired; 400 otherwise."""
    stored = await find_reset_token(tx.connection, hasher.digest(_PURPOSE, token), for_update=for_update)
    if stored is None or stored.used_at is not None:
        raise RuleBroken("This reset link is not valid.", code="invalid_reset_token")
    if stored.expires_at <= now:
        raise RuleBroken("This reset link has expired; please request a new one.", code="reset_token_expired")
    return stored


async def reset_with_token(
    tx: Transaction, states: AccessStates, token: StoredResetToken, new_password: str, *, now: datetime
) -> None:
    """Set the password from a usable reset token (looked up with `for_update`), use the token up, and
    end every session of the account. The address is confirmed too: the token could only be read from
    its mailbox."""
    require_strong(new_password)
    new_hash = await hash_password(new_password)
    await set_password_hash(tx.connection, token.user_id, new_hash, now=now, email_verified=True)
    await retire_user_reset_tokens(tx.connection, token.user_id, now=now)
    await revoke_access_tokens(tx, states, token.user_id, now=now)


async def set_first_password(tx: Transaction, user_id: UUID, new_password: str, *, now: datetime) -> None:
    """Give a provider-only account (Google, Apple) a password; 400 when it already has one."""
    require_strong(new_password)
    credentials = await lock_credentials(tx.connection, user_id)
    if credentials is None:
        raise RuleBroken("This account no longer exists.", code="account_missing")
    if credentials.password_hash is not None:
        raise RuleBroken(
            "This account already has a password; change it with the current one.",
            code="password_already_set",
        )
    new_hash = await hash_password(new_password)
    await set_password_hash(tx.connection, user_id, new_hash, now=now, email_verified=False)


async def change_password(
    tx: Transaction,
    states: AccessStates,
    user_id: UUID,
    current_password: str,
    new_password: str,
    *,
    now: datetime,
) -> TokenSubject:
    """Replace the password after checking the current one, and end every session of the account
    (the caller's too: the route opens a new one for it with the subject returned)."""
    credentials = await lock_credentials(tx.connection, user_id)
    if credentials is None:
        raise RuleBroken("This account no longer exists.", code="account_missing")
    if credentials.password_hash is None:
        raise RuleBroken("This account has no password yet; set one instead.", code="no_password_set")
    if not await verify_password(credentials.password_hash, current_password):
        raise RuleBroken("The current password is incorrect.", code="wrong_password")
    require_strong(new_password)
    new_hash = await hash_password(new_password)
    await set_password_hash(tx.connection, user_id, new_hash, now=now, email_verified=False)
    await revoke_access_tokens(tx, states, user_id, now=now)
    # The row is locked since lock_credentials: the version just bumped is the one to issue under.
    return TokenSubject(user_id=user_id, token_version=credentials.token_version + 1)
