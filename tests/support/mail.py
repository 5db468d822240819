"""Mail in tests: what the API queued goes out through the mail worker's own function, over real SMTP,
to the sink (sandbox/smtp), and is read back from the sink over HTTP."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime

from db.outgoing_mail import due_mail_ids
from sandbox.smtp.testing import SinkHandle
from services.transaction import Database
from settings import Settings
from workers.mail.outbox import CLAIM_LEASE, SendOutcome, send_outgoing_mail
from workers.mail.smtp import SmtpTransport

CODE = re.compile(r"verification code is (\d{6})")
RESET_TOKEN = re.compile(r"reset token in the app: (\S+)")


def unique_email() -> str:
    """An address no other test of the session mails (the sink is shared)."""
    return f"mail-{uuid.uuid4().hex[:12]}@example.com"


def sink_transport(settings: Settings, sink: SinkHandle) -> SmtpTransport:
    return SmtpTransport.from_settings(
        dataclasses.replace(settings, smtp_host=sink.smtp_host, smtp_port=sink.smtp_port, smtp_starttls=False)
    )


async def send_queued_mail(database: Database, settings: Settings, sink: SinkHandle) -> int:
    """Run mail.send's function for every mail waiting in the outbox; returns how many went out."""
    now = datetime.now(UTC)
    async with database.transaction() as tx:
        ids = await due_mail_ids(tx.connection, now=now, due_before=now, lease=CLAIM_LEASE, limit=100)
    transport = sink_transport(settings, sink)
    for mail_id in ids:
        assert await send_outgoing_mail(database, transport, mail_id, now=now) == SendOutcome.SENT
    return len(ids)


def latest_text(sink: SinkHandle, recipient: str) -> str:
    mails = sink.messages(to=recipient)
    assert mails, f"no mail for {recipient}"
    text: str = mails[-1]["text"]
    return text


def mailed_code(sink: SinkHandle, recipient: str) -> str:
    match = CODE.search(latest_text(sink, recipient))
    assert match, "the mail carries no code"
    return match.group(1)


def mailed_reset_token(sink: SinkHandle, recipient: str) -> str:
    match = RESET_TOKEN.search(latest_text(sink, recipient))
    assert match, "the mail carries no reset token"
    return match.group(1)
