"""The mail outbox (workers/mail/outbox.py) over real SMTP: sends, retries with backoff after an outage,
never sends one row twice at once, gives up after the last attempt, sweeps lost rows, blanks bodies."""

from __future__ import annotations

import dataclasses
import socket
from datetime import datetime, timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.outgoing_mail import MailDraft
from db.tables import outgoing_mail
from sandbox.smtp.testing import SinkHandle
from services.mail import queue_mail
from settings import Settings
from tests.support.mail import sink_transport, unique_email
from tests.support.savepoint_database import SavepointDatabase
from workers.mail.outbox import (
    MAX_ATTEMPTS,
    SWEEP_GRACE,
    SendOutcome,
    blank_old_bodies,
    retry_delay,
    send_outgoing_mail,
    sweep_outgoing_mail,
)
from workers.mail.smtp import SmtpNotConfigured, SmtpTransport


def draft(recipient: str) -> MailDraft:
    return MailDraft(recipient, "Subject", "text with 123456", "<p>html with 123456</p>")


async def queued(database: SavepointDatabase, recipient: str) -> UUID:
    async with database.transaction() as tx:
        return await queue_mail(tx, draft(recipient))


async def due_at(connection: AsyncConnection, mail_id: UUID) -> datetime:
    """When a new row first falls due (the database's clock at insert): the tests' "now"."""
    value: datetime = (await row(connection, mail_id)).next_attempt_at
    return value


async def row(connection: AsyncConnection, mail_id: UUID) -> sa.Row[object]:
    return (await connection.execute(sa.select(outgoing_mail).where(outgoing_mail.c.id == mail_id))).one()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def unreachable(transport: SmtpTransport) -> SmtpTransport:
    return dataclasses.replace(transport, port=closed_port())


async def test_an_outage_is_retried_with_backoff_and_the_mail_then_goes_out_once(
    database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle, connection: AsyncConnection
) -> None:
    recipient = unique_email()
    mail_id = await queued(database, recipient)
    now = await due_at(connection, mail_id)
    transport = sink_transport(settings, smtp_sink)
    # When the SMTP server cannot be reached: pending again, due after the first backoff
    assert (
        await send_outgoing_mail(database, unreachable(transport), mail_id, now=now) == SendOutcome.RETRYING
    )
    failed = await row(connection, mail_id)
    assert (failed.status, failed.attempts, failed.claimed_at) == ("pending", 1, None)
    assert failed.next_attempt_at == now + retry_delay(1)
    assert failed.last_error
    # Not due yet: nothing happens
    assert await send_outgoing_mail(database, transport, mail_id, now=now) == SendOutcome.SKIPPED
    # Once due, the server is back: sent, and a doubled message sends nothing more
    later = now + retry_delay(1)
    assert await send_outgoing_mail(database, transport, mail_id, now=later) == SendOutcome.SENT
    assert await send_outgoing_mail(database, transport, mail_id, now=later) == SendOutcome.SKIPPED
    [mail] = smtp_sink.messages(to=recipient)
    assert mail["message_id"] == f"<{mail_id}@fitnudge.app>"
    assert mail["text"].strip() == "text with 123456"
    assert mail["html"].strip() == "<p>html with 123456</p>"
    sent = await row(connection, mail_id)
    assert (sent.status, sent.sent_at) == ("sent", later)


async def test_the_mail_is_given_up_after_the_last_attempt(
    database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle, connection: AsyncConnection
) -> None:
    mail_id = await queued(database, unique_email())
    transport = unreachable(sink_transport(settings, smtp_sink))
    now = await due_at(connection, mail_id)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome = await send_outgoing_mail(database, transport, mail_id, now=now)
        assert outcome == (SendOutcome.RETRYING if attempt < MAX_ATTEMPTS else SendOutcome.FAILED)
        now += retry_delay(attempt)
    assert (await row(connection, mail_id)).status == "failed"


async def test_the_sweep_re_enqueues_rows_whose_message_was_lost(
    database: SavepointDatabase, connection: AsyncConnection
) -> None:
    mail_id = await queued(database, unique_email())
    created = (await row(connection, mail_id)).next_attempt_at
    # A fresh row's message is still on its way: left alone
    assert (await sweep_outgoing_mail(database, now=created)).enqueued == 0
    # Past the grace period with nobody on it: a new message
    assert (
        await sweep_outgoing_mail(database, now=created + SWEEP_GRACE + timedelta(seconds=1))
    ).enqueued == 1


async def test_finished_mail_loses_its_body_after_a_day_and_pending_mail_keeps_it(
    database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle, connection: AsyncConnection
) -> None:
    sent_id = await queued(database, unique_email())
    pending_id = await queued(database, unique_email())
    sent_at = (await row(connection, sent_id)).created_at
    assert await send_outgoing_mail(database, sink_transport(settings, smtp_sink), sent_id, now=sent_at) == (
        SendOutcome.SENT
    )
    assert await blank_old_bodies(database, now=sent_at + timedelta(hours=23)) == 0
    assert await blank_old_bodies(database, now=sent_at + timedelta(hours=25)) == 1
    blanked, kept = await row(connection, sent_id), await row(connection, pending_id)
    assert (blanked.text_body, blanked.html_body) == ("", "")
    assert kept.text_body == "text with 123456"


def test_outside_dev_and_test_the_mail_worker_refuses_to_send_without_smtp_host() -> None:
    production = Settings(
        app_env="production",
        jwt_secret="s" * 40,
        revenuecat_webhook_secret="s" * 40,
        public_api_url="https://api.fitnudge.example",
        smtp_host=None,
    )
    with pytest.raises(SmtpNotConfigured, match="SMTP_HOST must be set"):
        SmtpTransport.from_settings(production)
    assert (production.smtp_port, production.smtp_starttls) == (587, True)


def test_dev_and_test_send_to_the_local_sink_without_starttls(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS"):
        monkeypatch.delenv(name, raising=False)
    transport = SmtpTransport.from_settings(Settings(app_env="dev"))
    assert (transport.host, transport.port, transport.starttls) == ("127.0.0.1", 8025, False)


async def test_a_permanent_refusal_fails_the_mail_at_once(
    database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle, connection: AsyncConnection
) -> None:
    mail_id = await queued(database, "refused-" + unique_email())
    now = await due_at(connection, mail_id)
    assert await send_outgoing_mail(database, sink_transport(settings, smtp_sink), mail_id, now=now) == (
        SendOutcome.FAILED
    )
    refused = await row(connection, mail_id)
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "550" in refused.last_error
