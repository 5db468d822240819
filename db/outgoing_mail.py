"""The mail outbox (outgoing_mail): written in the transaction that wants the mail, claimed and settled
by the mail worker (workers/mail/), swept when a message or a worker was lost.

A claim is a conditional update: a row is taken only while pending, due and not claimed within the
lease, so two workers (or a worker and a re-enqueued message) never send one row twice at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import outgoing_mail

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class MailDraft:
    recipient: str
    subject: str
    text_body: str
    html_body: str


@dataclass(frozen=True, slots=True)
class ClaimedMail:
    id: UUID
    recipient: str
    subject: str
    text_body: str
    html_body: str
    attempts: int


async def insert_mail(connection: AsyncConnection, draft: MailDraft) -> UUID:
    mail_id: UUID = await connection.scalar(
        sa.insert(outgoing_mail)
        .values(
            recipient=draft.recipient,
            subject=draft.subject,
            text_body=draft.text_body,
            html_body=draft.html_body,
        )
        .returning(outgoing_mail.c.id)
    )
    return mail_id


def _claimable(
    now: datetime, lease: timedelta, *, due_before: datetime | None = None
) -> sa.ColumnElement[bool]:
    return sa.and_(
        outgoing_mail.c.status == PENDING,
        outgoing_mail.c.next_attempt_at <= (due_before or now),
        sa.or_(outgoing_mail.c.claimed_at.is_(None), outgoing_mail.c.claimed_at < now - lease),
    )


async def claim_mail(
    connection: AsyncConnection, mail_id: UUID, *, now: datetime, lease: timedelta
) -> ClaimedMail | None:
    """Take the row for one send attempt; None when it is not due, already sent, or another worker's."""
    row = (
        await connection.execute(
            sa.update(outgoing_mail)
            .where(outgoing_mail.c.id == mail_id, _claimable(now, lease))
            .values(claimed_at=now, attempts=outgoing_mail.c.attempts + 1)
            .returning(
                outgoing_mail.c.id,
                outgoing_mail.c.recipient,
                outgoing_mail.c.subject,
                outgoing_mail.c.text_body,
                outgoing_mail.c.html_body,
                outgoing_mail.c.attempts,
            )
        )
    ).one_or_none()
    return ClaimedMail(*row) if row else None


async def mark_sent(connection: AsyncConnection, mail_id: UUID, *, now: datetime) -> None:
    await connection.execute(
        sa.update(outgoing_mail)
        .where(outgoing_mail.c.id == mail_id)
        .values(status=SENT, sent_at=now, claimed_at=None, last_error=None)
    )


async def mark_attempt_failed(
    connection: AsyncConnection, mail_id: UUID, *, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: pending again from `retry_at`, or failed for good when it is None."""
    values: dict[str, object] = {"claimed_at": None, "last_error": error[:500]}
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    await connection.execute(sa.update(outgoing_mail).where(outgoing_mail.c.id == mail_id).values(values))


async def due_mail_ids(
    connection: AsyncConnection, *, now: datetime, due_before: datetime, lease: timedelta, limit: int
) -> list[UUID]:
    """Rows due since `due_before` that nobody works on: a lost message, a dead worker, a lost retry."""
    result = await connection.scalars(
        sa.select(outgoing_mail.c.id)
        .where(_claimable(now, lease, due_before=due_before))
        .order_by(outgoing_mail.c.next_attempt_at)
        .limit(limit)
    )
    return list(result)


async def blank_finished_bodies(connection: AsyncConnection, *, before: datetime, limit: int) -> int:
    """Empty the bodies (they carry codes and reset tokens) of mail no longer pending and
    created before `before`."""
    batch = (
        sa.select(outgoing_mail.c.id)
        .where(
            outgoing_mail.c.status != PENDING,
            outgoing_mail.c.text_body != "",
            outgoing_mail.c.created_at < before,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await connection.execute(
        sa.update(outgoing_mail).where(outgoing_mail.c.id.in_(batch)).values(text_body="", html_body="")
    )
    return result.rowcount
