"""The OpenAPI document tells the truth about errors and tokens (api/openapi.py), so a client generator
or a schema fuzzer can rely on it: every operation's errors have the `{detail, code}` body the API
sends, and only the routes that need a token say so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ERROR_BODY = {"$ref": "#/components/schemas/ErrorOut"}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def error_schema(operation: dict[str, Any], status: str) -> Any:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_every_operation_declares_its_errors_with_the_body_the_api_sends(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status in ("400", "422", "default"):
            assert error_schema(operation, status) == ERROR_BODY, (method, path, status)
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["code", "detail"]


def test_only_the_routes_that_need_a_token_say_so(document: dict[str, Any]) -> None:
    assert document["security"] == [{"BearerToken": []}]
    by_route = {(method, path): operation for method, path, operation in operations(document)}
    for route in (
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/blog/posts"),
        ("POST", "/api/v1/webhooks/revenuecat"),
    ):
        assert by_route[route]["security"] == [{}], route
        assert "401" not in by_route[route]["responses"], route
    for route in (("GET", "/api/v1/goals/{goal_id}"), ("POST", "/api/v1/check-ins")):
        assert "security" not in by_route[route], route
        assert error_schema(by_route[route], "401") == ERROR_BODY, route


async def test_a_refusal_has_the_documented_body(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    response = await client.get("/api/v1/goals", headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 401
    assert set(document["components"]["schemas"]["ErrorOut"]["required"]) <= response.json().keys()
