"""End to end through the real worker process: a sign-up commits, the Procfile's worker takes the
mail.send message and sends the code over SMTP to the sink, and the code read from the sink over HTTP
gets the new user in."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from api.app import create_app
from sandbox.smtp.testing import SinkHandle
from services.addresses import MAIL_QUEUE
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.email_support import VERIFY, sign_up
from tests.support.client import api_client
from tests.support.mail import CODE
from tests.support.processes import running, worker_command

# Generous for a loaded CI machine; the test only waits this long when something is broken.
MAIL_TIMEOUT_S = 60


def read_log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


async def mail_for(sink: SinkHandle, recipient: str, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + MAIL_TIMEOUT_S
    while time.monotonic() < deadline:
        mails = await asyncio.to_thread(sink.messages, recipient)
        if mails:
            return mails[-1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail for {recipient} after {MAIL_TIMEOUT_S} s\n{read_log(log)}")


async def test_the_worker_mails_the_sign_up_code_and_the_code_gets_the_user_in(
    committed_database: EngineDatabase, settings: Settings, smtp_sink: SinkHandle, tmp_path: Path
) -> None:
    smtp = {"SMTP_HOST": smtp_sink.smtp_host, "SMTP_PORT": str(smtp_sink.smtp_port), "SMTP_STARTTLS": "false"}
    log = tmp_path / "worker.log"
    async with api_client(create_app(settings, database=committed_database)) as client:
        with running(worker_command(queues=[MAIL_QUEUE]), env=smtp, log=log):
            account = await sign_up(client)
            mail = await mail_for(smtp_sink, account.email, log)
        match = CODE.search(mail["text"])
        assert match, mail
        verified = await client.post(VERIFY, json={"code": match.group(1), "email": account.email})
        assert verified.status_code == 200, verified.text
        dashboard = await client.get("/api/v1/home/dashboard", headers=account.headers)
        assert dashboard.status_code == 200, dashboard.text
