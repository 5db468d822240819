"""The email routes are limited per client IP and per account like login (api/auth/rate_limits.py):
429 with Retry-After, before anything is looked up or mailed."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from db.tables import outgoing_mail
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.api.email_support import FORGOT, RESEND, RESET, VALIDATE, VERIFY
from tests.support.client import api_client
from tests.support.mail import unique_email
from tests.support.savepoint_database import SavepointDatabase

LIMIT = 2


def limited(settings: Settings, database: SavepointDatabase, **changes: Any) -> Litestar:
    return create_app(
        dataclasses.replace(
            settings, auth_rate_limit_per_minute=LIMIT, redis_key_prefix=f"test-{uuid.uuid4().hex}", **changes
        ),
        database=database,
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (VERIFY, lambda n: {"code": "000000", "email": f"ip-{n}-{uuid.uuid4().hex}@example.com"}),
        (RESEND, lambda n: {"email": f"ip-{n}-{uuid.uuid4().hex}@example.com"}),
        (FORGOT, lambda n: {"email": f"ip-{n}-{uuid.uuid4().hex}@example.com"}),
        (VALIDATE, lambda n: {"token": f"unknown-{n}"}),
        (RESET, lambda n: {"token": f"unknown-{n}", "new_password": "Brand-new Passw0rd"}),
    ],
)
async def test_one_ip_beyond_the_limit_gets_429_with_retry_after(
    settings: Settings, database: SavepointDatabase, path: str, body: Callable[[int], dict[str, str]]
) -> None:
    async with api_client(limited(settings, database)) as client:
        responses = [await client.post(path, json=body(n)) for n in range(LIMIT + 1)]
    assert [response.status_code for response in responses][-1] == 429
    assert all(response.status_code != 429 for response in responses[:LIMIT])
    assert responses[-1].json()["code"] == "rate_limited"
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60


@pytest.mark.parametrize(("path", "mails"), [(VERIFY, 0), (FORGOT, LIMIT)])
async def test_one_account_is_limited_whatever_ip_asks_and_nothing_is_mailed_beyond(
    settings: Settings,
    database: SavepointDatabase,
    connection: AsyncConnection,
    make_user: MakeUser,
    path: str,
    mails: int,
) -> None:
    email = (await make_user(email=unique_email())).email
    body = {"code": "000000", "email": email} if path == VERIFY else {"email": email}
    async with api_client(limited(settings, database, trusted_proxy_count=1)) as client:
        statuses = [
            (await client.post(path, json=body, headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n in range(LIMIT + 1)
        ]
    assert statuses[-1] == 429
    assert await connection.scalar(sa.select(sa.func.count()).select_from(outgoing_mail)) == mails
