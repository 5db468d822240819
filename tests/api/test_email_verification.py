"""Email verification (docs/api.md, "Email and passwords"): the code is mailed through the outbox and
the mail worker over real SMTP to the sink, read back over HTTP, and typed into the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import email_verification_codes, outgoing_mail, users
from sandbox.smtp.testing import SinkHandle
from settings import Settings
from tests.api.email_support import PROFILE, RESEND, VERIFY, sign_up
from tests.support.mail import mailed_code, send_queued_mail, unique_email
from tests.support.savepoint_database import SavepointDatabase


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


async def email_verified(connection: AsyncConnection, user_id: str) -> bool:
    return bool(await connection.scalar(sa.select(users.c.email_verified).where(users.c.id == UUID(user_id))))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_new_email_user_verifies_with_the_mailed_code_and_reaches_the_dashboard(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    connection: AsyncConnection,
) -> None:
    # Given a person who just signed up with their email: unverified, a code mail queued
    account = await sign_up(client)
    assert (await client.get(PROFILE, headers=account.headers)).json()["email_verified"] is False
    # When the mail worker sends the queue over SMTP and they read the code from their mailbox
    assert await send_queued_mail(database, settings, smtp_sink) == 1
    [mail] = smtp_sink.messages(to=account.email)
    assert mail["html"]
    assert mail["subject"].startswith("Your FitNudge verification code")
    code = mailed_code(smtp_sink, account.email)
    # Then typing it in verifies the account: {message, user} with email_verified true
    response = await client.post(VERIFY, json={"code": code, "email": account.email}, headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email_verified"] is True
    assert await email_verified(connection, account.user_id)
    # And the app gets in
    dashboard = await client.get("/api/v1/home/dashboard", headers=account.headers)
    assert dashboard.status_code == 200, dashboard.text
    # And the code is gone from the database (the mail body holds it until pruned)
    stored = await connection.scalar(sa.select(sa.func.count()).select_from(email_verification_codes))
    assert stored == 0


async def test_the_stored_code_is_a_keyed_hash_not_the_code(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    connection: AsyncConnection,
) -> None:
    account = await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)
    code = mailed_code(smtp_sink, account.email)
    code_hash = await connection.scalar(
        sa.select(email_verification_codes.c.code_hash).where(
            email_verification_codes.c.user_id == UUID(account.user_id)
        )
    )
    assert code_hash is not None
    assert code not in code_hash
    assert len(code_hash) == 64


async def test_a_wrong_code_is_refused_counted_and_verifies_nothing(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    connection: AsyncConnection,
) -> None:
    account = await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)
    code = mailed_code(smtp_sink, account.email)
    response = await client.post(VERIFY, json={"code": wrong(code), "email": account.email})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid verification code. 4 attempt(s) remaining.",
        "code": "invalid_code",
        "remaining_attempts": 4,
    }
    assert not await email_verified(connection, account.user_id)


async def test_five_wrong_codes_use_the_code_up_even_for_the_right_one(
    client: httpx.AsyncClient, database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle
) -> None:
    account = await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)
    code = mailed_code(smtp_sink, account.email)
    for _ in range(5):
        assert (
            await client.post(VERIFY, json={"code": wrong(code), "email": account.email})
        ).status_code == 400
    response = await client.post(VERIFY, json={"code": code, "email": account.email})
    assert response.status_code == 400
    assert response.json()["code"] == "verification_attempts_exhausted"


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    clock: FixedClock,
) -> None:
    account = await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)
    code = mailed_code(smtp_sink, account.email)
    clock.instant += timedelta(hours=24)
    response = await client.post(VERIFY, json={"code": code, "email": account.email})
    assert response.status_code == 400
    assert response.json()["code"] == "verification_code_expired"


async def test_resend_waits_two_minutes_then_mails_a_new_code_that_replaces_the_old(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    clock: FixedClock,
) -> None:
    account = await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)
    first = mailed_code(smtp_sink, account.email)
    # Within two minutes of the sign-up code: 429 with Retry-After, and no mail
    clock.instant += timedelta(seconds=90)
    early = await client.post(RESEND, json={"email": account.email})
    assert early.status_code == 429
    assert early.headers["Retry-After"] == "30"
    assert early.json()["code"] == "rate_limited"
    assert await send_queued_mail(database, settings, smtp_sink) == 0
    # After two minutes: a new code, in the client's shape
    clock.instant += timedelta(seconds=30)
    resent = await client.post(RESEND, json={"email": account.email})
    assert resent.status_code == 200, resent.text
    assert resent.json()["rate_limit_info"] == {"min_wait_minutes": 2, "max_per_hour": 20, "remaining": 19}
    await send_queued_mail(database, settings, smtp_sink)
    second = mailed_code(smtp_sink, account.email)
    assert len(smtp_sink.messages(to=account.email)) == 2
    # The old code no longer works (unless the new one happens to be equal); the new one does
    if first != second:
        assert (await client.post(VERIFY, json={"code": first, "email": account.email})).status_code == 400
    assert (await client.post(VERIFY, json={"code": second, "email": account.email})).status_code == 200


async def test_resend_for_an_unknown_email_answers_alike_and_mails_nothing(
    client: httpx.AsyncClient, database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle
) -> None:
    email = unique_email()
    response = await client.post(RESEND, json={"email": email})
    assert response.status_code == 200
    assert await send_queued_mail(database, settings, smtp_sink) == 0
    assert smtp_sink.messages(to=email) == []


async def test_one_account_cannot_verify_another_with_its_own_code(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    connection: AsyncConnection,
) -> None:
    alice, bob = await sign_up(client), await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)
    alices_code = mailed_code(smtp_sink, alice.email)
    if alices_code == mailed_code(smtp_sink, bob.email):
        pytest.skip("both codes drew the same six digits")
    response = await client.post(
        VERIFY, json={"code": alices_code, "email": bob.email}, headers=alice.headers
    )
    assert response.status_code == 400
    assert not await email_verified(connection, bob.user_id)
    assert not await email_verified(connection, alice.user_id)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (VERIFY, {"code": "12345", "email": "a@example.com"}),
        (VERIFY, {"code": "1234567", "email": "a@example.com"}),
        (VERIFY, {"code": 123456, "email": "a@example.com"}),
        (VERIFY, {"code": "123456", "email": "not-an-email"}),
        (VERIFY, {"code": "123456"}),
        (RESEND, {"email": "a@example.com", "extra": 1}),
        (RESEND, {}),
    ],
)
async def test_bad_verification_input_is_refused_with_the_error_body_and_writes_nothing(
    client: httpx.AsyncClient, connection: AsyncConnection, path: str, body: dict[str, object]
) -> None:
    response = await client.post(path, json=body)
    assert 400 <= response.status_code < 500
    assert set(response.json()) >= {"detail", "code"}
    assert await connection.scalar(sa.select(sa.func.count()).select_from(outgoing_mail)) == 0
    assert await connection.scalar(sa.select(sa.func.count()).select_from(email_verification_codes)) == 0


async def test_a_signed_in_app_may_leave_the_email_out(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    clock: FixedClock,
) -> None:
    # Given a signed-up account whose app sends only the bearer token
    account = await sign_up(client)
    clock.instant += timedelta(minutes=2)
    # Resend and verify find the account from the token
    assert (await client.post(RESEND, json={}, headers=account.headers)).status_code == 200
    await send_queued_mail(database, settings, smtp_sink)
    code = mailed_code(smtp_sink, account.email)
    response = await client.post(VERIFY, json={"code": code}, headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == account.user_id
    # A token that is there must be valid
    bad = await client.post(VERIFY, json={"code": code}, headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401
