"""The SMTP sink (sandbox/smtp): what arrives over SMTP is listed over HTTP, by recipient; the
command-line server announces both addresses."""

from __future__ import annotations

import subprocess
import sys
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

from sandbox.smtp.testing import SinkHandle, running_sink
from tests.support.database import REPO_ROOT


def message(to: str, subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "sender@example.com"
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(f"text of {subject}")
    mail.add_alternative(f"<p>html of {subject}</p>", subtype="html")
    return mail


async def send(sink: SinkHandle, mail: EmailMessage) -> None:
    await aiosmtplib.send(mail, hostname=sink.smtp_host, port=sink.smtp_port, start_tls=False)


async def test_mail_is_listed_by_recipient_with_both_bodies_and_can_be_cleared() -> None:
    with running_sink() as sink:
        await send(sink, message("Ada@Example.com", "one"))
        await send(sink, message("bob@example.com", "two"))
        [ada] = sink.messages(to="ada@example.com")
        assert (ada["subject"], ada["text"].strip(), ada["html"].strip()) == (
            "one",
            "text of one",
            "<p>html of one</p>",
        )
        assert [mail["subject"] for mail in sink.messages()] == ["one", "two"]
        sink.clear()
        assert sink.messages() == []


async def test_refused_addresses_get_a_permanent_refusal() -> None:
    with running_sink() as sink:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await send(sink, message("refused@example.com", "no"))
        assert sink.messages() == []


def test_the_command_line_sink_announces_its_smtp_and_http_addresses() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "sandbox.smtp"], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            words = process.stdout.readline().split()
            assert words[0] == "LISTENING"
            assert words[1].startswith("smtp://127.0.0.1:")
            assert httpx.get(words[2] + "/healthz", trust_env=False).json() == {"ok": True}
        finally:
            process.terminate()
