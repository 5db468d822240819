"""Product events reach PostHog (its stand-in, over HTTP) from the web process's batcher, after the
transaction commits, and never without a key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from sandbox.posthog.server import PostHogServer
from sandbox.posthog.testing import running_posthog
from services.product_events import NO_EVENTS, PostHogEvents, ProductEvent, build_product_events
from settings import Settings
from tests.support.challenge_rows import insert_challenge
from tests.support.client import api_client
from tests.support.savepoint_database import SavepointDatabase
from tests.support.users import create_user

SIGNUP = {
    "email": "events@example.com",
    "password": "a-long-password-1",
    "name": "Eve",
    "username": "eve_events",
}


@pytest.fixture
def posthog() -> Iterator[PostHogServer]:
    with running_posthog() as server:
        yield server


async def test_a_signup_and_a_check_in_are_sent_once_committed(
    settings: Settings, database: SavepointDatabase, posthog: PostHogServer
) -> None:
    with_key = replace(settings, posthog_api_key="phc_test", posthog_host=posthog.base_url)
    async with api_client(create_app(with_key, database=database)) as client:
        response = await client.post("/api/v1/auth/signup", json=SIGNUP)
        assert response.status_code == 201, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        goal = await client.post(
            "/api/v1/goals", json={"title": "Run", "frequency_type": "daily"}, headers=headers
        )
        await client.post(
            "/api/v1/check-ins", json={"goal_id": goal.json()["id"], "completed": True}, headers=headers
        )
    # The app's shutdown flushed what its loop had not sent yet.
    user_id = response.json()["user"]["id"]
    events = [(event["event"], event["distinct_id"], event["api_key"]) for event in posthog.events()]
    assert events == [
        (ProductEvent.SIGNED_UP.value, user_id, "phc_test"),
        (ProductEvent.CHECKED_IN.value, user_id, "phc_test"),
    ]


async def test_a_refused_request_sends_nothing(
    settings: Settings, database: SavepointDatabase, posthog: PostHogServer
) -> None:
    with_key = replace(settings, posthog_api_key="phc_test", posthog_host=posthog.base_url)
    async with api_client(create_app(with_key, database=database)) as client:
        response = await client.post("/api/v1/auth/signup", json={**SIGNUP, "password": "short"})
    assert response.status_code == 422
    assert posthog.events() == []


async def test_events_wait_while_posthog_is_away_and_go_with_a_later_pass(posthog: PostHogServer) -> None:
    events = PostHogEvents("phc_test", "http://127.0.0.1:9")  # nothing listens there
    events.capture(UUID(int=1), ProductEvent.PARTNER_ACCEPTED, {})
    await events.flush()
    assert posthog.events() == []
    events._http.base_url = httpx.URL(posthog.base_url)  # PostHog is back
    await events.aclose()
    assert [event["event"] for event in posthog.events()] == [ProductEvent.PARTNER_ACCEPTED.value]


async def test_the_flush_loop_outlives_a_batch_it_cannot_send(posthog: PostHogServer) -> None:
    events = PostHogEvents("phc_test", posthog.base_url)
    events.capture(UUID(int=1), ProductEvent.CHECKED_IN, {"not_json": object()})
    loop = asyncio.create_task(events.flush_periodically(every=0.01))
    try:
        for _ in range(200):  # until the loop died or a later event arrived
            if loop.done() or posthog.events():
                break
            events.capture(UUID(int=2), ProductEvent.CHECKED_IN, {})
            await asyncio.sleep(0.05)
        assert not loop.done()
        assert {event["distinct_id"] for event in posthog.events()} == {str(UUID(int=2))}
    finally:
        loop.cancel()
        await events.aclose()


def test_without_a_key_nothing_is_noted(settings: Settings) -> None:
    assert build_product_events(replace(settings, posthog_api_key=None)) is NO_EVENTS


async def test_joining_a_challenge_is_sent(
    settings: Settings, database: SavepointDatabase, connection: AsyncConnection, posthog: PostHogServer
) -> None:
    with_key = replace(settings, posthog_api_key="phc_test", posthog_host=posthog.base_url)
    app = create_app(with_key, database=database)
    creator = await create_user(connection, app, plan="premium")
    joiner = await create_user(connection, app)
    challenge_id = await insert_challenge(connection, creator.id)
    async with api_client(app) as client:
        response = await client.post(f"/api/v1/challenges/{challenge_id}/join", headers=joiner.headers)
        assert response.status_code == 200, response.text
    [event] = posthog.events()
    assert (event["event"], event["distinct_id"]) == (ProductEvent.CHALLENGE_JOINED.value, str(joiner.id))
    assert event["properties"]["challenge_id"] == str(challenge_id)
