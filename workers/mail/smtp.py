"""The one way mail leaves: SMTP with aiosmtplib, one connection per message (account mail is rare).

Failures are sorted into those worth retrying (connection trouble, timeouts, 4xx) and those that are
not (5xx: the server refused the sender, the recipient or the message), so the outbox neither gives
up on a passing outage nor hammers a server about an address it refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Final

import aiosmtplib

from db.outgoing_mail import ClaimedMail
from settings import Settings

SMTP_TIMEOUT_SECONDS: Final = 30


class SmtpNotConfigured(RuntimeError):
    """SMTP_HOST is unset outside dev and test: the mail worker refuses to send (mail waits)."""


class MailRefused(Exception):
    """The server refused for good (5xx): retrying would not help."""


class MailDeferred(Exception):
    """Could not hand the mail over this time: retried with backoff."""


@dataclass(frozen=True, slots=True)
class SmtpTransport:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        if settings.smtp_host is None:
            raise SmtpNotConfigured(
                "SMTP_HOST must be set to send mail when APP_ENV is not dev or test; "
                "queued mail stays in outgoing_mail until it is"
            )
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=bool(settings.smtp_starttls),
            sender=settings.mail_from,
        )

    def build(self, mail: ClaimedMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.recipient
        message["Subject"] = mail.subject
        # One id per outbox row: a resend after a lost acknowledgement is recognisably the same mail.
        message["Message-ID"] = f"<{mail.id}@fitnudge.app>"
        message.set_content(mail.text_body)
        message.add_alternative(mail.html_body, subtype="html")
        return message

    async def send(self, mail: ClaimedMail) -> None:
        try:
            await aiosmtplib.send(
                self.build(mail),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(refusal.code >= 500 for refusal in error.recipients):
                raise MailRefused(str(error)) from error
            raise MailDeferred(str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise MailRefused(f"{error.code} {error.message}") from error
            raise MailDeferred(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailDeferred(f"{type(error).__name__}: {error}") from error
