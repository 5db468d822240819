"""Sending one outbox row, sweeping for rows whose message was lost, and blanking finished bodies.

A send claims the row (a conditional update with a lease), commits the claim, talks SMTP outside any
transaction, then records the outcome. Delivery is at least once: a worker that dies after the server
accepted the mail but before marking it sent leaves a claim that lapses, and the mail goes again
(same Message-ID). That beats losing a verification code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from db.outgoing_mail import (
    blank_finished_bodies,
    claim_mail,
    due_mail_ids,
    mark_attempt_failed,
    mark_sent,
)
from services.addresses import MAIL_SEND
from services.transaction import Database
from workers.batch_progress import batch_committed
from workers.mail.smtp import MailDeferred, MailRefused, SmtpTransport

logger = logging.getLogger(__name__)

# Well beyond the actor's time limit: a claim this old belongs to a worker that died.
CLAIM_LEASE: Final = timedelta(minutes=5)
MAX_ATTEMPTS: Final = 6
FIRST_RETRY_AFTER: Final = timedelta(seconds=30)
# A row this overdue with nobody on it lost its message (a fresh row's message is still on its way).
SWEEP_GRACE: Final = timedelta(minutes=1)
MAX_MESSAGES_PER_SWEEP: Final = 500
# Bodies carry codes valid for 24 hours: after that they are worth nothing but a leak.
KEEP_BODIES_FOR: Final = timedelta(hours=24)
BLANK_BATCH: Final = 500


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SKIPPED = "skipped"  # not due, already sent, or another worker's


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, 8 min after attempts 1 to 5."""
    return FIRST_RETRY_AFTER * (1 << (attempts - 1))


async def send_outgoing_mail(
    database: Database, transport: SmtpTransport, mail_id: UUID, *, now: datetime
) -> SendOutcome:
    async with database.transaction() as tx:
        mail = await claim_mail(tx.connection, mail_id, now=now, lease=CLAIM_LEASE)
    if mail is None:
        return SendOutcome.SKIPPED
    try:
        await transport.send(mail)
    except MailRefused as error:
        logger.warning("mail %s refused by the SMTP server: %s", mail_id, error)
        async with database.transaction() as tx:
            await mark_attempt_failed(tx.connection, mail_id, error=str(error), retry_at=None)
        return SendOutcome.FAILED
    except MailDeferred as error:
        retry_at = now + retry_delay(mail.attempts) if mail.attempts < MAX_ATTEMPTS else None
        logger.warning("mail %s attempt %d failed (retry at %s): %s", mail_id, mail.attempts, retry_at, error)
        async with database.transaction() as tx:
            await mark_attempt_failed(tx.connection, mail_id, error=str(error), retry_at=retry_at)
            if retry_at is not None:
                delay_ms = int((retry_at - now).total_seconds() * 1000)
                tx.enqueue(MAIL_SEND, str(mail_id), delay_ms=delay_ms)
        return SendOutcome.RETRYING if retry_at else SendOutcome.FAILED
    async with database.transaction() as tx:
        await mark_sent(tx.connection, mail_id, now=now)
    return SendOutcome.SENT


@dataclass(frozen=True, slots=True)
class SweepReport:
    enqueued: int


async def sweep_outgoing_mail(database: Database, *, now: datetime) -> SweepReport:
    """Send mail.send again for due rows nobody works on: a lost message, a lost delayed retry, a
    lapsed claim. A doubled message is harmless: only one claim succeeds."""
    async with database.transaction() as tx:
        ids = await due_mail_ids(
            tx.connection,
            now=now,
            due_before=now - SWEEP_GRACE,
            lease=CLAIM_LEASE,
            limit=MAX_MESSAGES_PER_SWEEP,
        )
        tx.enqueue_many(MAIL_SEND, [(str(mail_id),) for mail_id in ids])
    return SweepReport(enqueued=len(ids))


async def blank_old_bodies(database: Database, *, now: datetime) -> int:
    """Empty the bodies of mail no longer pending and created more than KEEP_BODIES_FOR ago, a batch per
    transaction."""
    total = 0
    while True:
        async with database.transaction() as tx:
            blanked = await blank_finished_bodies(
                tx.connection, before=now - KEEP_BODIES_FOR, limit=BLANK_BATCH
            )
        batch_committed()
        total += blanked
        if blanked < BLANK_BATCH:
            return total
