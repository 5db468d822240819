"""Deeply nested JSON, in a body or inside a cursor, is a 422 before anything walks it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from api.request_input import MAX_JSON_DEPTH
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.revenuecat import revenuecat_event

API = "/api/v1"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_in_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize(
    "body",
    [nested(100_000), nested_in_object(100_000), b'{"title": ' + nested(5_000) + b"}"],
    ids=["arrays", "objects", "inside-a-field"],
)
async def test_a_body_nested_past_the_recursion_limit_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, body: bytes
) -> None:
    user = await make_user()
    response = await client.post(
        f"{API}/goals", content=body, headers={**user.headers, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 800])
async def test_a_webhook_body_deeper_than_the_limit_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient,
    settings: Settings,
    make_user: MakeUser,
    connection: AsyncConnection,
    depth: int,
) -> None:
    """The webhook takes any JSON object; the envelope and the event are two levels already."""
    user = await make_user()
    event = revenuecat_event("INITIAL_PURCHASE", user.id, at=datetime.now(UTC))
    content = httpx.Request("POST", "/", json=event).content
    content = content[:-2] + b',"extra":' + nested(depth - 1) + b"}}"
    response = await client.post(
        f"{API}/webhooks/revenuecat",
        content=content,
        headers={"Authorization": settings.revenuecat_webhook_secret, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("path", ["/goals", "/check-ins", "/check-ins/today", "/notifications/history"])
async def test_a_cursor_holding_deeply_nested_json_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, path: str
) -> None:
    user = await make_user()
    for depth in (300, 5_000):
        cursor = base64.urlsafe_b64encode(nested(depth)).decode().rstrip("=")
        response = await client.get(f"{API}{path}", params={"cursor": cursor}, headers=user.headers)
        assert response.status_code == 422, (depth, response.text)
        assert response.json()["code"] in {"invalid_cursor", "validation_error"}
