"""Forgot → mail → validate → reset (docs/api.md, "Email and passwords"): the same answer for unknown
addresses, single-use tokens stored as hashes, and every old session ended by a reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import outgoing_mail, password_reset_tokens
from sandbox.smtp.testing import SinkHandle
from settings import Settings
from tests.api.auth_support import PASSWORD, MakeUser
from tests.api.email_support import (
    FORGOT,
    LOGIN,
    NEW_PASSWORD,
    PROFILE,
    REFRESH,
    RESET,
    VALIDATE,
    sign_up,
)
from tests.support.mail import mailed_reset_token, send_queued_mail, unique_email
from tests.support.savepoint_database import SavepointDatabase


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


async def requested_token(
    client: httpx.AsyncClient, database: SavepointDatabase, settings: Settings, sink: SinkHandle, email: str
) -> str:
    response = await client.post(FORGOT, json={"email": email.upper()})
    assert response.status_code == 200, response.text
    await send_queued_mail(database, settings, sink)
    return mailed_reset_token(sink, email)


async def test_forgot_password_answers_the_same_for_unknown_addresses_and_mails_only_real_ones(
    client: httpx.AsyncClient, database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle
) -> None:
    account = await sign_up(client)
    await send_queued_mail(database, settings, smtp_sink)  # the sign-up code
    nobody = unique_email()
    known = await client.post(FORGOT, json={"email": account.email})
    unknown = await client.post(FORGOT, json={"email": nobody})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.json() == {"message": "If an account exists, a password reset email has been sent."}
    assert await send_queued_mail(database, settings, smtp_sink) == 1
    assert smtp_sink.messages(to=nobody) == []
    assert smtp_sink.messages(to=account.email)[-1]["subject"] == "Reset your FitNudge password"


async def test_a_reset_sets_the_password_and_ends_every_old_session(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    connection: AsyncConnection,
) -> None:
    # Given an account with a session, and a reset token read from the mailbox
    account = await sign_up(client)
    token = await requested_token(client, database, settings, smtp_sink, account.email)
    assert token not in str(await connection.scalar(sa.select(password_reset_tokens.c.token_hash)))
    # When the app validates the token, then resets the password with it
    valid = await client.post(VALIDATE, json={"token": token})
    assert valid.status_code == 200, valid.text
    assert valid.json()["valid"] is True
    reset = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.text
    # Then the old access and refresh tokens are refused
    assert (await client.get(PROFILE, headers=account.headers)).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": account.refresh_token})).status_code == 401
    # And only the new password logs in, to an account whose address the mail has proved
    assert (await client.post(LOGIN, json={"email": account.email, "password": PASSWORD})).status_code == 401
    login = await client.post(LOGIN, json={"email": account.email, "password": NEW_PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["email_verified"] is True
    # And the token is used up
    again = await client.post(RESET, json={"token": token, "new_password": "Another Passw0rd"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_token"
    assert (await client.post(VALIDATE, json={"token": token})).status_code == 400


async def test_a_newer_reset_mail_retires_the_older_token(
    client: httpx.AsyncClient, database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle
) -> None:
    account = await sign_up(client)
    first = await requested_token(client, database, settings, smtp_sink, account.email)
    second = await requested_token(client, database, settings, smtp_sink, account.email)
    assert (await client.post(VALIDATE, json={"token": first})).status_code == 400
    assert (await client.post(VALIDATE, json={"token": second})).status_code == 200


async def test_an_expired_reset_token_is_refused(
    client: httpx.AsyncClient,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
    clock: FixedClock,
) -> None:
    account = await sign_up(client)
    token = await requested_token(client, database, settings, smtp_sink, account.email)
    clock.instant += timedelta(hours=1)
    for path, body in ((VALIDATE, {"token": token}), (RESET, {"token": token, "new_password": NEW_PASSWORD})):
        response = await client.post(path, json=body)
        assert response.status_code == 400
        assert response.json()["code"] == "reset_token_expired"


async def test_a_weak_new_password_is_refused_and_the_token_still_works(
    client: httpx.AsyncClient, database: SavepointDatabase, settings: Settings, smtp_sink: SinkHandle
) -> None:
    account = await sign_up(client)
    token = await requested_token(client, database, settings, smtp_sink, account.email)
    weak = await client.post(RESET, json={"token": token, "new_password": "alllowercase1"})
    assert weak.status_code == 400
    assert weak.json() == {"detail": "The new password needs an upper-case letter.", "code": "weak_password"}
    assert (await client.get(PROFILE, headers=account.headers)).status_code == 200
    assert (await client.post(VALIDATE, json={"token": token})).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (FORGOT, {"email": "not-an-email"}),
        (FORGOT, {}),
        (VALIDATE, {"token": ""}),
        (VALIDATE, {"token": "x" * 201}),
        (RESET, {"token": "whatever", "new_password": "short"}),
        (RESET, {"token": "unknown-token", "new_password": NEW_PASSWORD}),
    ],
)
async def test_bad_reset_input_is_refused_with_the_error_body_and_writes_nothing(
    client: httpx.AsyncClient, connection: AsyncConnection, path: str, body: dict[str, object]
) -> None:
    response = await client.post(path, json=body)
    assert 400 <= response.status_code < 500
    assert set(response.json()) >= {"detail", "code"}
    assert await connection.scalar(sa.select(sa.func.count()).select_from(outgoing_mail)) == 0
    assert await connection.scalar(sa.select(sa.func.count()).select_from(password_reset_tokens)) == 0


async def test_past_five_requests_an_hour_the_answer_stays_the_same_and_no_more_mail_goes_out(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(email=unique_email())
    answers = [await client.post(FORGOT, json={"email": user.email}) for _ in range(6)]
    assert {(answer.status_code, answer.json()["message"]) for answer in answers} == {
        (200, "If an account exists, a password reset email has been sent.")
    }
    assert await connection.scalar(sa.select(sa.func.count()).select_from(outgoing_mail)) == 5
