"""What the sink received: each message parsed once into the parts a reader wants."""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    id: int
    received_at: float
    mail_from: str
    recipients: list[str]
    subject: str
    message_id: str
    text: str
    html: str


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return "" if part is None else str(part.get_content())


class Mailbox:
    """Shared by the SMTP handler (appends) and the HTTP view (reads), both on the sink's one event
    loop, so no lock is needed; tests in other threads read it over HTTP only."""

    def __init__(self) -> None:
        self._mails: list[ReceivedMail] = []
        self._ids = itertools.count(1)

    def add(self, mail_from: str, recipients: list[str], content: bytes) -> ReceivedMail:
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(
            id=next(self._ids),
            received_at=time.time(),
            mail_from=mail_from,
            recipients=[recipient.lower() for recipient in recipients],
            subject=str(message.get("Subject", "")),
            message_id=str(message.get("Message-ID", "")),
            text=_part(message, "plain"),
            html=_part(message, "html"),
        )
        self._mails.append(mail)
        return mail

    def list(self, to: str | None = None) -> list[dict[str, Any]]:
        mails = self._mails
        if to is not None:
            mails = [mail for mail in mails if to.lower() in mail.recipients]
        return [asdict(mail) for mail in mails]

    def clear(self) -> None:
        self._mails.clear()
