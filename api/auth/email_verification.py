"""Email verification (docs/api.md, "Email and passwords"): a 6-digit code mailed at sign-up and on
request, valid for 24 hours and for 5 wrong guesses, one live code per account.

Only the code's HMAC is stored (services/one_time_secrets.py); a guess is compared in constant time.
A wrong guess is counted and committed even though the answer is 400, so the caller runs the check in
a transaction of its own and raises the returned error afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from db.email_codes import count_failed_attempt, delete_code, lock_code, replace_code
from db.outgoing_mail import MailDraft
from db.users import mark_email_verified
from domain.errors import RuleBroken
from domain.mail_copy import verification_mail
from services.mail import queue_mail
from services.one_time_secrets import SecretHasher, new_verification_code
from services.transaction import Transaction

CODE_VALID_FOR: Final = timedelta(hours=24)
MAX_CODE_ATTEMPTS: Final = 5
RESEND_COOLDOWN: Final = timedelta(minutes=2)
RESENDS_PER_HOUR: Final = 20
_PURPOSE: Final = "email-verification"


async def send_verification_code(
    tx: Transaction, hasher: SecretHasher, user_id: UUID, email: str, *, now: datetime
) -> None:
    """Replace the user's code with a new one and queue the mail that carries it (sent after commit)."""
    code = new_verification_code()
    await replace_code(
        tx.connection, user_id, hasher.digest(_PURPOSE, code), expires_at=now + CODE_VALID_FOR, now=now
    )
    copy = verification_mail(code, valid_hours=int(CODE_VALID_FOR.total_seconds()) // 3600)
    await queue_mail(tx, MailDraft(email, copy.subject, copy.text, copy.html))


async def resend_wait(tx: Transaction, user_id: UUID, *, now: datetime) -> timedelta | None:
    """How long until another code may be sent, or None when one may be sent now."""
    stored = await lock_code(tx.connection, user_id)
    if stored is None:
        return None
    wait = stored.sent_at + RESEND_COOLDOWN - now
    return wait if wait > timedelta(0) else None


async def check_code(
    tx: Transaction, hasher: SecretHasher, user_id: UUID, code: str, *, now: datetime
) -> RuleBroken | None:
    """Verify the account when `code` is its live code; otherwise the error to answer with, raised by
    the caller once the counted attempt has committed."""
    stored = await lock_code(tx.connection, user_id)
    if stored is None:
        return RuleBroken("Invalid verification code.", code="invalid_code")
    if stored.expires_at <= now:
        return RuleBroken("This code has expired; request a new one.", code="verification_code_expired")
    if stored.attempts >= MAX_CODE_ATTEMPTS:
        return RuleBroken("Too many wrong codes; request a new one.", code="verification_attempts_exhausted")
    if not hasher.matches(_PURPOSE, code, stored.code_hash):
        remaining = MAX_CODE_ATTEMPTS - await count_failed_attempt(tx.connection, user_id)
        return RuleBroken(
            f"Invalid verification code. {remaining} attempt(s) remaining.",
            code="invalid_code",
            extra={"remaining_attempts": remaining},
        )
    await delete_code(tx.connection, user_id)
    await mark_email_verified(tx.connection, user_id, now=now)
    return None
