"""Every list route bounds its paging parameters (api/pagination.py): beyond them a 422 with the error
body, never a 500. The routes are read from the app's route table, so a new list route is covered."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.pagination import CURSOR_MAX_LENGTH, MAX_LIMIT, MAX_OFFSET, MAX_PAGE
from tests.api.auth_support import MakeUser

PAGING_PARAMETERS = frozenset({"limit", "offset", "page", "cursor"})
OUT_OF_BOUNDS = {
    "limit": ["0", "-1", str(MAX_LIMIT + 1), "2147483648", "9" * 30, "ten", "1.5", "", "٣"],
    "offset": ["-1", str(MAX_OFFSET + 1), "2147483648", "9" * 30, "ten", "1e9", "٣"],
    "page": ["0", "-1", str(MAX_PAGE + 1), "2147483648", "9" * 30, "ten", "٣"],
    "cursor": ["x" * (CURSOR_MAX_LENGTH + 1), "not a cursor", "%%%"],
}
AT_THE_BOUNDS = {"limit": str(MAX_LIMIT), "offset": str(MAX_OFFSET), "page": str(MAX_PAGE)}
# The parameters a list route cannot do without, beside the paging one under test.
REQUIRED = {"/api/v1/partners/search": {"query": "ab"}}
# Lists whose own bound on `limit` is lower than MAX_LIMIT (the app's recaps and coach conversations
# lists take 1–50).
LIMIT_BOUNDS = {"/api/v1/recaps/list": "50", "/api/v1/ai-coach/conversations": "50"}


def list_routes(app: Litestar) -> dict[str, frozenset[str]]:
    """Every GET path that takes a paging parameter, with the ones it takes."""
    routes: dict[str, frozenset[str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            paging = PAGING_PARAMETERS & handler.parsed_fn_signature.parameters.keys()
            if "GET" in handler.http_methods and paging:
                routes[route.path] = frozenset(paging)
    return routes


def concrete(path: str, ids: dict[str, str] | None = None) -> str:
    """The path with any path parameter filled in: from `ids` by name ("{challenge_id:uuid}" →
    "challenge_id"), else a random id (the query is refused before the id is looked up)."""
    known = ids or {}
    parts = [
        known.get(part[1:-1].split(":")[0], str(uuid4())) if part.startswith("{") else part
        for part in path.split("/")
    ]
    return "/".join(parts)


def walk(app: Litestar) -> list[tuple[str, str, str]]:
    return [
        (path, name, value)
        for path, names in sorted(list_routes(app).items())
        for name in sorted(names)
        for value in OUT_OF_BOUNDS[name]
    ]


def test_the_walk_covers_every_known_list_route(app: Litestar) -> None:
    assert {
        "/api/v1/goals",
        "/api/v1/check-ins",
        "/api/v1/check-ins/today",
        "/api/v1/notifications/history",
        "/api/v1/nudges",
        "/api/v1/nudges/sent",
    } <= list_routes(app).keys()


async def test_paging_parameters_out_of_bounds_are_422_on_every_list_route(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    refused = []
    for path, name, value in walk(app):
        params = {**REQUIRED.get(path, {}), name: value}
        response = await client.get(concrete(path), params=params, headers=user.headers)
        body = response.json()
        if not (400 <= response.status_code < 500 and {"detail", "code"} <= body.keys()):
            refused.append((path, name, value, response.status_code, body))
    assert refused == []


async def test_paging_parameters_at_their_bounds_are_served(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # A premium admin: the admin lists are list routes too, an admin may call every route, and the
    # premium lists answer only premium users
    user = await make_user(role="admin", plan="premium")
    # The lists under a challenge answer only for one the caller may see: the caller's own.
    body = {
        "title": "Bounds",
        "challenge_type": "streak",
        "duration_days": 7,
        "start_date": datetime.now(UTC).date().isoformat(),
    }
    created = await client.post("/api/v1/challenges", json=body, headers=user.headers)
    assert created.status_code == 201, created.text
    ids = {"challenge_id": created.json()["id"]}
    for path, names in list_routes(app).items():
        bounds = {**AT_THE_BOUNDS, "limit": LIMIT_BOUNDS.get(path, AT_THE_BOUNDS["limit"])}
        for name in names & bounds.keys():
            params = {**REQUIRED.get(path, {}), name: bounds[name]}
            response = await client.get(concrete(path, ids), params=params, headers=user.headers)
            assert response.status_code == 200, (path, name, response.text)


def cursor_of(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path", ["/api/v1/goals", "/api/v1/notifications/history", "/api/v1/nudges", "/api/v1/nudges/sent"]
)
@pytest.mark.parametrize(
    "instant",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2025-01-01T00:00:00", "2025-13-01T00:00:00Z"],
    ids=["before-year-1-in-utc", "after-year-9999-in-utc", "naive", "no-such-month"],
)
async def test_a_cursor_whose_instant_is_no_valid_position_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, path: str, instant: str
) -> None:
    user = await make_user()
    response = await client.get(
        path, params={"cursor": cursor_of(instant, str(uuid4()))}, headers=user.headers
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": "cursor is not valid for this list", "code": "invalid_cursor"}


@pytest.mark.parametrize("path", ["/api/v1/check-ins", "/api/v1/check-ins/today"])
@pytest.mark.parametrize("day", ["0000-01-01", "10000-01-01", "2025-02-30", "2025-01-01T00:00:00Z"])
async def test_a_cursor_whose_date_is_no_valid_position_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, path: str, day: str
) -> None:
    user = await make_user()
    response = await client.get(path, params={"cursor": cursor_of(day, str(uuid4()))}, headers=user.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_cursor"
