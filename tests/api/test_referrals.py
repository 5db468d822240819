"""Referral codes and referrals (docs/domain.md §3.13): a code per account, drawn again on collision,
redeemed only at sign-up, one referrer per referred account, never oneself, and each user sees only
the accounts they referred."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from db.tables import users
from domain import referrals as referral_rules
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.auth_support import PASSWORD, MakeUser
from tests.support.client import api_client
from tests.support.rows import insert_user_row

USERS = "/api/v1/users"
SIGNUP = "/api/v1/auth/signup"


def signup_body(tag: str, **overrides: Any) -> dict[str, Any]:
    return {
        "email": f"{tag}@example.com",
        "password": PASSWORD,
        "name": tag.title(),
        "username": tag,
    } | overrides


def draws(monkeypatch: pytest.MonkeyPatch, *codes: str) -> None:
    """Make the next code draws return `codes`, in order, then fresh random ones."""
    real = referral_rules.new_referral_code
    queued: Iterator[str] = iter(codes)
    monkeypatch.setattr(referral_rules, "new_referral_code", lambda: next(queued, None) or real())
    for module in ("api.auth.accounts", "api.users.referrals"):
        monkeypatch.setattr(f"{module}.new_referral_code", referral_rules.new_referral_code)


async def referred_by(connection: AsyncConnection, user_id: str | UUID) -> UUID | None:
    statement = sa.select(users.c.referred_by_user_id).where(users.c.id == UUID(str(user_id)))
    value: UUID | None = (await connection.execute(statement)).scalar_one()
    return value


async def test_a_signup_gets_a_code_that_the_referral_code_route_shows_with_its_link(
    client: httpx.AsyncClient,
) -> None:
    # Given a new account
    session = (await client.post(SIGNUP, json=signup_body("linda"))).json()
    code = session["user"]["referral_code"]
    # When it asks for its referral code
    response = await client.get(
        f"{USERS}/me/referral-code", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    # Then it is the one drawn at sign-up, from the unambiguous alphabet, with the share link
    assert response.status_code == 200, response.text
    assert response.json() == {
        "referral_code": code,
        "referral_link": f"https://fitnudge.app/join?ref={code}",
    }
    assert len(code) == 8
    assert set(code) <= set(referral_rules.REFERRAL_ALPHABET)


async def test_an_account_without_a_code_gets_one_once(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given an account made without a code
    user = await make_user(referral_code=None)
    # When it asks for its code twice
    first = await client.get(f"{USERS}/me/referral-code", headers=user.headers)
    second = await client.get(f"{USERS}/me/referral-code", headers=user.headers)
    # Then one code is drawn, stored and kept
    assert first.status_code == 200, first.text
    stored = (
        await connection.execute(sa.select(users.c.referral_code).where(users.c.id == user.id))
    ).scalar_one()
    assert first.json()["referral_code"] == second.json()["referral_code"] == stored


async def test_a_drawn_code_held_by_someone_else_is_drawn_again(
    client: httpx.AsyncClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an account holding a code, the next draws landing on it first, and an account without a code
    await make_user(referral_code="TAKEN234")
    draws(monkeypatch, "TAKEN234", "FRESH234", "TAKEN234", "FRESH567")
    codeless = await make_user(referral_code=None)
    # When someone signs up, and the codeless account asks for its code
    signed_up = await client.post(SIGNUP, json=signup_body("unlucky"))
    lazily = await client.get(f"{USERS}/me/referral-code", headers=codeless.headers)
    # Then neither gets the taken code: each got the next draw
    assert signed_up.status_code == 201, signed_up.text
    assert signed_up.json()["user"]["referral_code"] == "FRESH234"
    assert lazily.json()["referral_code"] == "FRESH567"


async def test_a_code_typed_in_any_case_links_the_new_account_to_its_owner(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user who shares their code
    referrer = await make_user(referral_code="SHARE234")
    # When a friend signs up typing it in lower case
    response = await client.post(SIGNUP, json=signup_body("friendone", referral_code="share234"))
    # Then the new account is linked to the referrer and shows in the referrer's list
    assert response.status_code == 201, response.text
    assert await referred_by(connection, response.json()["user"]["id"]) == referrer.id
    listed = await client.get(f"{USERS}/me/referrals", headers=referrer.headers)
    assert [item["username"] for item in listed.json()] == ["friendone"]


async def test_concurrent_signups_with_one_code_drawing_one_new_code_both_succeed_once_each(
    settings: Settings, committed_database: EngineDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a committed referrer, and two sign-ups whose first draws are the same new code
    async with committed_database.transaction() as tx:
        referrer = await insert_user_row(tx.connection, referral_code="SHARE234")
    draws(monkeypatch, "RACE2345", "RACE2345")
    # When both sign up with the referrer's code at the same moment (real commits)
    async with api_client(create_app(settings, database=committed_database)) as client:
        responses = await asyncio.gather(
            *(
                client.post(SIGNUP, json=signup_body(tag, referral_code="SHARE234"))
                for tag in ("racerone", "racertwo")
            )
        )
    # Then both accounts exist, with different codes, each linked once to the referrer
    assert [response.status_code for response in responses] == [201, 201], [r.text for r in responses]
    async with committed_database.engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(users.c.referral_code).where(users.c.referred_by_user_id == referrer)
            )
        ).all()
    assert len(rows) == 2
    assert len({row.referral_code for row in rows}) == 2


async def test_a_suspended_users_code_credits_nobody(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    await make_user(referral_code="GONE2345", status="suspended")
    response = await client.post(SIGNUP, json=signup_body("newbie", referral_code="GONE2345"))
    assert response.status_code == 201, response.text
    assert await referred_by(connection, response.json()["user"]["id"]) is None


async def test_the_referrals_list_is_the_callers_own_newest_first_in_the_apps_shape(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given A who referred two users, B who referred one, and a user nobody referred
    a, b = await make_user(), await make_user()
    older = await make_user(referred_by_user_id=a.id, created_at=sa.func.now() - sa.text("interval '2 days'"))
    newer = await make_user(referred_by_user_id=a.id)
    await make_user(referred_by_user_id=b.id)
    await make_user()
    # When A and one of the referred users read their referral lists
    mine = await client.get(f"{USERS}/me/referrals", headers=a.headers)
    referred_own = await client.get(f"{USERS}/me/referrals", headers=newer.headers)
    # Then A sees exactly the two they referred, newest first, with public fields and the bonus date
    assert mine.status_code == 200, mine.text
    assert [item["id"] for item in mine.json()] == [str(newer.id), str(older.id)]
    assert set(mine.json()[0]) == {"id", "username", "name", "created_at", "referral_bonus_granted_at"}
    assert mine.json()[0]["referral_bonus_granted_at"] is None
    assert "x-next-cursor" not in mine.headers
    # And the referred user's own list is empty: it shows whom one referred, not who referred one
    assert referred_own.json() == []


async def test_the_referrals_list_pages_with_a_cursor(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    # Given three users referred by A
    a = await make_user()
    referred = [await make_user(referred_by_user_id=a.id) for _ in range(3)]
    # When A reads two at a time
    first = await client.get(f"{USERS}/me/referrals", params={"limit": 2}, headers=a.headers)
    second = await client.get(
        f"{USERS}/me/referrals",
        params={"limit": 2, "cursor": first.headers["x-next-cursor"]},
        headers=a.headers,
    )
    # Then the pages cover all three once
    ids = [item["id"] for item in first.json() + second.json()]
    assert sorted(ids) == sorted(str(user.id) for user in referred)
    assert "x-next-cursor" not in second.headers


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "validation_error"),
        ({"limit": 101}, "validation_error"),
        ({"cursor": "bm90IGpzb24"}, "invalid_cursor"),
    ],
)
async def test_bad_paging_of_the_referrals_list_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, params: dict[str, Any], code: str
) -> None:
    user = await make_user()
    response = await client.get(f"{USERS}/me/referrals", params=params, headers=user.headers)
    assert (response.status_code, response.json()["code"]) == (422, code)


@pytest.mark.parametrize("path", ["/me/referral-code", "/me/referrals"])
async def test_the_referral_routes_need_a_token(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(USERS + path)).status_code == 401


async def test_the_database_refuses_a_self_referral(connection: AsyncConnection, make_user: MakeUser) -> None:
    # Given an account
    user = await make_user()
    # When anything tries to make it its own referrer / Then the CHECK refuses it
    with pytest.raises(IntegrityError, match="ck_users_not_self_referred"):
        async with connection.begin_nested():
            await connection.execute(
                sa.update(users).where(users.c.id == user.id).values(referred_by_user_id=user.id)
            )


async def test_the_database_refuses_a_second_account_with_the_same_code(
    connection: AsyncConnection, make_user: MakeUser
) -> None:
    await make_user(referral_code="ONLY2345")
    with pytest.raises(IntegrityError, match="uq_users_referral_code"):
        async with connection.begin_nested():
            await make_user(referral_code="ONLY2345")
