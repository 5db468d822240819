"""The mail actors. Thin: each calls a plain function of workers/mail/outbox.py that tests call directly.

mail.send is never retried by Dramatiq: the outbox row carries the attempts and the backoff, and a
failed attempt schedules its own delayed message (or the sweep finds the row).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from uuid import UUID

from services.addresses import MAIL_QUEUE, MAIL_SEND
from services.metrics import EMAILS
from workers.actor import house_actor
from workers.mail.outbox import SendOutcome, blank_old_bodies, send_outgoing_mail, sweep_outgoing_mail
from workers.mail.smtp import SmtpTransport
from workers.periodic_jobs import JobContext, periodic_job
from workers.resources import WorkerResources


@house_actor(MAIL_SEND.actor_name, queue=MAIL_QUEUE, time_limit_ms=60_000, max_retries=0)
async def send(mail_id: str) -> None:
    resources = WorkerResources.current()
    # Raises SmtpNotConfigured before anything is claimed: the row stays due and the error is logged
    # on every attempt until SMTP_HOST is set.
    transport = SmtpTransport.from_settings(resources.settings)
    outcome = await send_outgoing_mail(resources.database, transport, UUID(mail_id), now=datetime.now(UTC))
    if outcome is not SendOutcome.SKIPPED:
        EMAILS.labels(outcome.value).inc()


@periodic_job("mail.sweep", "* * * * *", queue=MAIL_QUEUE)
async def sweep(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Re-enqueue mail.send for due mail nobody is sending (lost message, dead worker, lost retry)."""
    return {"enqueued": (await sweep_outgoing_mail(context.database, now=now)).enqueued}


@periodic_job("mail.prune", "50 * * * *", queue=MAIL_QUEUE)
async def prune(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Blank the bodies (codes, reset links) of mail no longer pending and created more than a day ago."""
    return {"blanked": await blank_old_bodies(context.database, now=now)}
