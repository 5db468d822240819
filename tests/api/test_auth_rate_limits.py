"""Login and sign-up attempt limits per client IP and per account, in Redis (trap 15)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from litestar.connection import ASGIConnection

from api.app import create_app
from api.auth.client_address import client_ip
from api.auth.rate_limits import count_attempt
from settings import Settings
from tests.support.client import api_client, in_own_task
from tests.support.savepoint_database import SavepointDatabase

LIMIT = 2


@pytest.fixture
def key_prefix() -> str:
    return f"test-{uuid.uuid4().hex}"


def limited_app(settings: Settings, database: SavepointDatabase, key_prefix: str, **changes: Any) -> Litestar:
    limited = dataclasses.replace(
        settings, auth_rate_limit_per_minute=LIMIT, redis_key_prefix=key_prefix, **changes
    )
    return create_app(limited, database=database)


@pytest.fixture
async def limited_client(
    settings: Settings, database: SavepointDatabase, key_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with in_own_task(api_client(limited_app(settings, database, key_prefix))) as client:
        yield client


def login(email: str, ip: str | None = None) -> dict[str, Any]:
    headers = {"X-Forwarded-For": ip} if ip else {}
    return {"json": {"email": email, "password": "not the password"}, "headers": headers}


async def test_login_attempts_from_one_ip_beyond_the_limit_get_429_with_retry_after(
    limited_client: httpx.AsyncClient, redis: aioredis.Redis, key_prefix: str
) -> None:
    # Given a limit of 2 attempts a minute
    # When one client tries three different accounts
    responses = [
        await limited_client.post("/api/v1/auth/login", **login(f"victim{n}@example.com")) for n in range(3)
    ]
    # Then the first two are judged (401) and the third is refused before any password check
    assert [response.status_code for response in responses] == [401, 401, 429]
    refused = responses[2]
    assert refused.json()["code"] == "rate_limited"
    assert "detail" in refused.json()
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # And the counter's key names the full route, /api/v1 prefix included
    keys = [key.decode() async for key in redis.scan_iter(f"{key_prefix}:*")]
    assert f"{key_prefix}:rate-limit:/api/v1/auth/login:ip:127.0.0.1" in keys


async def test_one_account_is_limited_whatever_ip_the_attempts_come_from(
    settings: Settings, database: SavepointDatabase, key_prefix: str
) -> None:
    # Given a deployment behind one proxy, so each attempt arrives from its own client IP
    app = limited_app(settings, database, key_prefix, trusted_proxy_count=1)
    async with api_client(app) as client:
        # When three IPs try the same account (in varying case)
        responses = [
            await client.post("/api/v1/auth/login", **login(email, ip))
            for email, ip in [
                ("target@example.com", "203.0.113.1"),
                ("TARGET@example.com", "203.0.113.2"),
                ("target@EXAMPLE.com", "203.0.113.3"),
            ]
        ]
    # Then the account's own limit refuses the third
    assert [response.status_code for response in responses] == [401, 401, 429]


async def test_forwarded_for_is_ignored_without_trusted_proxies(limited_client: httpx.AsyncClient) -> None:
    # Given no trusted proxy (TRUSTED_PROXY_COUNT=0)
    # When one client forges a different X-Forwarded-For on every attempt
    statuses = [
        (
            await limited_client.post("/api/v1/auth/login", **login(f"u{n}@example.com", f"198.51.100.{n}"))
        ).status_code
        for n in range(3)
    ]
    # Then its socket address is what is counted, and the third attempt is refused
    assert statuses == [401, 401, 429]


async def test_signup_is_limited_per_ip_even_for_malformed_bodies(limited_client: httpx.AsyncClient) -> None:
    # Given the limit / When one client posts three malformed sign-ups
    statuses = [
        (await limited_client.post("/api/v1/auth/signup", json={"email": "x"})).status_code for _ in range(3)
    ]
    # Then the IP limit (checked before the body is read) refuses the third
    assert statuses == [422, 422, 429]


async def test_limits_count_login_and_signup_separately_and_leave_other_routes_alone(
    limited_client: httpx.AsyncClient,
) -> None:
    # Given a client that used up its login attempts
    for n in range(3):
        await limited_client.post("/api/v1/auth/login", **login(f"w{n}@example.com"))
    # When it signs up and calls an unlimited public route
    signup = await limited_client.post("/api/v1/auth/signup", json={"email": "x"})
    refresh = [
        await limited_client.post("/api/v1/auth/refresh", json={"refresh_token": "x"}) for _ in range(3)
    ]
    # Then those are not refused by the login counter
    assert signup.status_code == 422
    assert {response.status_code for response in refresh} == {401}


async def test_concurrent_attempts_each_get_their_own_count(redis: aioredis.Redis, key_prefix: str) -> None:
    # Given one counter / When 50 attempts are counted at once
    counts = await asyncio.gather(
        *(count_attempt(redis, f"{key_prefix}:concurrent", window_seconds=60) for _ in range(50))
    )
    # Then no two read the same count (atomic increments) and the window expires
    assert sorted(count.count for count in counts) == list(range(1, 51))
    assert 0 < await redis.ttl(f"{key_prefix}:concurrent") <= 60


def connection_from(peer: str, forwarded: list[str]) -> ASGIConnection[Any, Any, Any, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return ASGIConnection({"type": "http", "client": (peer, 5000), "headers": headers})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.2", ["198.51.100.7"], 0, "10.0.0.2"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.7"], 1, "198.51.100.7"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.7, 10.0.0.1"], 2, "198.51.100.7"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.7"], 1, "198.51.100.7"),
        ("10.0.0.2", [], 1, "10.0.0.2"),
        ("10.0.0.2", ["not-an-ip"], 1, "10.0.0.2"),
        ("testclient", [], 0, None),
    ],
)
def test_client_ip_trusts_only_the_entries_written_by_trusted_proxies(
    peer: str, forwarded: list[str], trusted: int, expected: str | None
) -> None:
    # Given a request's socket peer and X-Forwarded-For headers / When its client IP is read
    # Then the entry appended by the outermost trusted proxy wins; client-written entries never do
    assert client_ip(connection_from(peer, forwarded), trusted) == expected
