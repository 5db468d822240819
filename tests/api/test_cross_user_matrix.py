"""The cross-user matrix, generated from the app's route table: every route whose path takes an id is
called by user B with user A's object, and must answer as listed here while leaving every row of A's
unchanged. A new route with a path parameter fails `test_every_route_with_a_path_id_is_in_the_matrix`
until it is added to CROSS_USER (B must not reach A's object) or OPEN (the id names nothing private).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import metadata, notification_history
from tests.support.challenge_rows import insert_challenge
from tests.support.recap_rows import insert_recap
from tests.support.social_rows import insert_pair
from tests.support.users import ApiUser

MakeUser = Callable[..., Awaitable[ApiUser]]


@dataclass(frozen=True)
class Scene:
    client: httpx.AsyncClient
    connection: AsyncConnection
    make_user: MakeUser
    owner: ApiUser


# Creates one of the owner's objects through the API (or, where no route creates it, as its producer
# would) and returns the path parameters that name it.
Factory = Callable[[Scene], Awaitable[dict[str, str]]]


async def a_goal(scene: Scene) -> dict[str, str]:
    body = {"title": "Run", "frequency_type": "daily"}
    response = await scene.client.post("/api/v1/goals", json=body, headers=scene.owner.headers)
    assert response.status_code == 201, response.text
    return {"goal_id": response.json()["id"]}


async def a_check_in(scene: Scene) -> dict[str, str]:
    goal = await a_goal(scene)
    body = {"goal_id": goal["goal_id"], "completed": True}
    response = await scene.client.post("/api/v1/check-ins", json=body, headers=scene.owner.headers)
    assert response.status_code == 201, response.text
    return {**goal, "checkin_id": response.json()["id"]}


async def a_daily_motivation(scene: Scene) -> dict[str, str]:
    response = await scene.client.get("/api/v1/daily-motivations/today", headers=scene.owner.headers)
    assert response.status_code == 200, response.text
    return {"motivation_id": response.json()["id"]}


async def an_export(scene: Scene) -> dict[str, str]:
    response = await scene.client.post("/api/v1/data-export/request", json={}, headers=scene.owner.headers)
    assert response.status_code in (200, 201, 202), response.text
    return {"export_id": response.json()["export_id"]}


async def a_notification(scene: Scene) -> dict[str, str]:
    values = {"user_id": scene.owner.id, "notification_type": "general", "title": "Hi", "body": "Hello"}
    statement = sa.insert(notification_history).values(values).returning(notification_history.c.id)
    return {"notification_id": str((await scene.connection.execute(statement)).scalar_one())}


async def a_nudge(scene: Scene) -> dict[str, str]:
    """A cheer the owner received from their partner."""
    partner = await scene.make_user()
    await insert_pair(scene.connection, partner.id, scene.owner.id)
    body = {"recipient_id": str(scene.owner.id), "nudge_type": "cheer"}
    response = await scene.client.post("/api/v1/nudges", json=body, headers=partner.headers)
    assert response.status_code == 201, response.text
    return {"nudge_id": response.json()["id"]}


async def a_partnership(scene: Scene, status: str, *, owner_sent: bool = True) -> dict[str, str]:
    """A row between the owner and a third user: the owner's request (or one sent to the owner), an
    accepted partnership, or the owner's block."""
    other = await scene.make_user()
    sender, receiver = (scene.owner, other) if owner_sent else (other, scene.owner)
    blocked_by = scene.owner.id if status == "blocked" else None
    partnership_id = await insert_pair(
        scene.connection, sender.id, receiver.id, status=status, blocked_by=blocked_by
    )
    return {"partnership_id": str(partnership_id)}


async def a_request_to_the_owner(scene: Scene) -> dict[str, str]:
    return await a_partnership(scene, "pending", owner_sent=False)


async def a_request_of_the_owner(scene: Scene) -> dict[str, str]:
    return await a_partnership(scene, "pending")


async def a_partner(scene: Scene) -> dict[str, str]:
    return await a_partnership(scene, "accepted")


async def a_block(scene: Scene) -> dict[str, str]:
    return await a_partnership(scene, "blocked")


async def a_recap(scene: Scene) -> dict[str, str]:
    """A weekly recap of the owner's, as the recap job writes it."""
    return {"recap_id": str(await insert_recap(scene.connection, scene.owner.id, date(2025, 6, 9)))}


async def a_conversation(scene: Scene) -> dict[str, str]:
    """An AI-coach conversation with the owner's first message in it."""
    body = {"message": "Help me keep my streak"}
    response = await scene.client.post("/api/v1/ai-coach/chat/async", json=body, headers=scene.owner.headers)
    assert response.status_code == 200, response.text
    return {"conversation_id": response.json()["conversation_id"]}


async def an_invite_the_owner_sent(scene: Scene) -> dict[str, str]:
    challenge = await a_private_challenge(scene)
    invitee = await scene.make_user()
    path = f"/api/v1/challenges/{challenge['challenge_id']}/invite"
    response = await scene.client.post(path, json={"user_id": str(invitee.id)}, headers=scene.owner.headers)
    assert response.status_code == 200, response.text
    return {"invite_id": response.json()["invite_id"]}


async def an_invite_to_the_owner(scene: Scene) -> dict[str, str]:
    """A third user's private challenge, to which the owner is invited."""
    host = await scene.make_user(plan="premium")
    challenge = await a_private_challenge(Scene(scene.client, scene.connection, scene.make_user, host))
    path = f"/api/v1/challenges/{challenge['challenge_id']}/invite"
    response = await scene.client.post(path, json={"user_id": str(scene.owner.id)}, headers=host.headers)
    assert response.status_code == 200, response.text
    return {"invite_id": response.json()["invite_id"]}


async def the_owner(scene: Scene) -> dict[str, str]:
    """The owner themself, as a partner-only page names them: a stranger must not see it."""
    await a_partner(scene)
    return {"partner_user_id": str(scene.owner.id)}


async def a_private_challenge(scene: Scene) -> dict[str, str]:
    """A running private challenge of the owner's, with the owner's check-in of today."""
    challenge_id = await insert_challenge(
        scene.connection,
        scene.owner.id,
        is_public=False,
        status="active",
        start_date=datetime.now(UTC).date(),
    )
    response = await scene.client.post(
        f"/api/v1/challenges/{challenge_id}/check-in", json={"notes": "mine"}, headers=scene.owner.headers
    )
    assert response.status_code == 201, response.text
    return {"challenge_id": str(challenge_id), "check_in_id": response.json()["id"]}


@dataclass(frozen=True)
class Case:
    make: Factory
    body: dict[str, Any] | None = None
    # What B gets: 404 where the object is private (docs/domain.md §1.2 "Ownership"); a 200 where the
    # route answers the same for an object it did not find (and still changes nothing of A's).
    status: int = 404
    query: dict[str, str] = field(default_factory=dict)
    # The factory's ids go in the query string (BY_QUERY routes) instead of the path.
    ids_in_query: bool = False
    # Columns of B's users row: a premium-only route must refuse B for the object, not for the plan.
    caller: dict[str, Any] = field(default_factory=dict)


CROSS_USER: dict[str, Case] = {
    "GET /api/v1/goals/{goal_id}": Case(a_goal),
    "PUT /api/v1/goals/{goal_id}": Case(a_goal, {"title": "Mine now"}),
    "DELETE /api/v1/goals/{goal_id}": Case(a_goal),
    "GET /api/v1/goals/{goal_id}/stats": Case(a_goal),
    "GET /api/v1/goals/{goal_id}/insights": Case(a_goal, caller={"plan": "premium"}),
    "POST /api/v1/goals/{goal_id}/insights/refresh": Case(a_goal, {}, caller={"plan": "premium"}),
    "POST /api/v1/goals/{goal_id}/activate": Case(a_goal),
    "POST /api/v1/goals/{goal_id}/deactivate": Case(a_goal),
    "POST /api/v1/goals/{goal_id}/archive": Case(a_goal),
    "GET /api/v1/check-ins/goal/{goal_id}/today": Case(a_goal),
    "GET /api/v1/check-ins/{checkin_id}": Case(a_check_in),
    "PUT /api/v1/check-ins/{checkin_id}": Case(a_check_in, {"note": "mine now"}),
    "GET /api/v1/daily-motivations/{motivation_id}": Case(a_daily_motivation),
    "POST /api/v1/daily-motivations/{motivation_id}/share": Case(a_daily_motivation, {}),
    "GET /api/v1/data-export/status/{export_id}": Case(an_export),
    # The download is authorised by the mailed link's signature, not by a bearer token: without it, 422.
    "GET /api/v1/data-export/download/{export_id}": Case(an_export, status=422),
    "POST /api/v1/notifications/history/{notification_id}/opened": Case(a_notification),
    "PATCH /api/v1/nudges/{nudge_id}/read": Case(a_nudge, {}),
    "DELETE /api/v1/nudges/{nudge_id}": Case(a_nudge),
    "POST /api/v1/partners/{partnership_id}/accept": Case(a_request_to_the_owner, {}),
    "POST /api/v1/partners/{partnership_id}/reject": Case(a_request_to_the_owner, {}),
    "POST /api/v1/partners/{partnership_id}/cancel": Case(a_request_of_the_owner, {}),
    "DELETE /api/v1/partners/{partnership_id}": Case(a_partner),
    "POST /api/v1/partners/{partnership_id}/block": Case(a_partner, {}),
    "POST /api/v1/partners/{partnership_id}/unblock": Case(a_block, {}),
    "GET /api/v1/partners/{partner_user_id}/dashboard": Case(the_owner),
    "GET /api/v1/recaps/{recap_id}": Case(a_recap, caller={"plan": "premium"}),
    "GET /api/v1/ai-coach/conversations/{conversation_id}": Case(a_conversation),
    # The app's delete answers 200 for any id it does not find (client-behaviour §7.1).
    "DELETE /api/v1/ai-coach/conversations/{conversation_id}": Case(a_conversation, status=200),
    "POST /api/v1/challenges/{challenge_id}/check-in": Case(a_private_challenge, {}),
    "GET /api/v1/challenges/{challenge_id}/my-check-ins": Case(a_private_challenge),
    "GET /api/v1/challenges/{challenge_id}/check-ins": Case(a_private_challenge),
    "PUT /api/v1/challenges/{challenge_id}/check-ins/{check_in_id}": Case(
        a_private_challenge, {"notes": "no"}
    ),
    "DELETE /api/v1/challenges/{challenge_id}/check-ins/{check_in_id}": Case(a_private_challenge),
    "GET /api/v1/challenges/{challenge_id}/leaderboard": Case(a_private_challenge),
    # A private challenge is 404 to outsiders (§3.6 Visibility); B is premium, so nothing is refused
    # for B's plan.
    "GET /api/v1/challenges/{challenge_id}": Case(a_private_challenge),
    "PATCH /api/v1/challenges/{challenge_id}/edit": Case(a_private_challenge, {"title": "Mine now"}),
    "DELETE /api/v1/challenges/{challenge_id}": Case(a_private_challenge),
    "POST /api/v1/challenges/{challenge_id}/cancel": Case(a_private_challenge, {}),
    "POST /api/v1/challenges/{challenge_id}/join": Case(a_private_challenge, {}, caller={"plan": "premium"}),
    "POST /api/v1/challenges/{challenge_id}/leave": Case(a_private_challenge, {}),
    "GET /api/v1/challenges/{challenge_id}/participants": Case(a_private_challenge),
    "POST /api/v1/challenges/{challenge_id}/invite": Case(a_private_challenge, {"user_id": str(UUID(int=1))}),
    "POST /api/v1/challenges/{challenge_id}/invite-link": Case(a_private_challenge, {}),
    # Another user's invite can be neither answered nor revoked.
    "POST /api/v1/challenges/invites/{invite_id}/accept": Case(
        an_invite_to_the_owner, {}, caller={"plan": "premium"}
    ),
    "POST /api/v1/challenges/invites/{invite_id}/decline": Case(an_invite_to_the_owner, {}),
    "DELETE /api/v1/challenges/invites/{invite_id}": Case(an_invite_the_owner_sent),
}

# Routes that take the object's id as a query parameter: the route table cannot find them, so they are
# listed by hand (test_every_route_taking_an_id_in_the_query_exists checks that they still exist).
BY_QUERY: dict[str, Case] = {
    "GET /api/v1/analytics/dashboard": Case(a_goal, ids_in_query=True, caller={"plan": "premium"}),
}

# Routes whose id names nothing of another user's, with the reason.
OPEN: dict[str, str] = {
    "GET /api/v1/app-config/public/{category}": "public app configuration",
    "GET /api/v1/subscription-plans/plans/{plan_id}": "the plan catalogue",
    "GET /api/v1/blog/posts/{slug}": "published blog posts",
    "POST /api/v1/blog/posts/{post_id}/view": "published blog posts",
    "GET /api/v1/admin/blog/posts/{post_id}": "admin role only (403 to users: tests/api/test_blog.py)",
    "PUT /api/v1/admin/blog/posts/{post_id}": "admin role only",
    "DELETE /api/v1/admin/blog/posts/{post_id}": "admin role only",
    "DELETE /api/v1/auth/unlink/{provider}": "a provider name; acts on the caller's own identities",
    "GET /api/v1/users/{user_id}": "the public profile (docs/domain.md §3.13)",
    "GET /api/v1/users/{user_id}/stats": "public counts; the private ones only to the user",
    "GET /schema/{path}": "the OpenAPI document",
    "POST /api/v1/partners/report/{user_id}": "anyone may report a user; the report is the reporter's row",
    "POST /api/v1/challenges/join/{invite_code}": "a link's code is the invitation: its holder may join",
}


def routes_with_a_path_id(app: Litestar) -> set[str]:
    found: set[str] = set()
    for route in app.routes:
        if "{" not in route.path:
            continue
        # "{goal_id:uuid}" → "{goal_id}": the matrix names parameters, not their converters.
        path = "/".join(
            part.split(":")[0] + "}" if part.startswith("{") else part for part in route.path.split("/")
        )
        found.update(
            f"{method} {path}"
            for method in getattr(route, "methods", ())
            if method not in ("HEAD", "OPTIONS")
        )
    return found


def test_every_route_with_a_path_id_is_in_the_matrix(app: Litestar) -> None:
    routes = routes_with_a_path_id(app)
    assert routes - CROSS_USER.keys() - OPEN.keys() == set(), "add the new routes to CROSS_USER or OPEN"
    assert (CROSS_USER.keys() | OPEN.keys()) - routes == set(), "the matrix lists routes that are gone"


def test_every_route_taking_an_id_in_the_query_exists(app: Litestar) -> None:
    routes = {f"{method} {route.path}" for route in app.routes for method in getattr(route, "methods", ())}
    assert BY_QUERY.keys() - routes == set(), "the matrix lists routes that are gone"


async def rows_of(connection: AsyncConnection, user_id: UUID) -> dict[str, list[str]]:
    """Every row that names the user in a column referencing users, as text: what B must not change."""
    rows = {}
    for table in metadata.sorted_tables:
        owner_columns = [
            column
            for column in table.columns
            if any(key.column.table.name == "users" for key in column.foreign_keys)
        ]
        if not owner_columns:
            continue
        statement = (
            sa.select(sa.text(f'"{table.name}"::text'))
            .select_from(table)
            .where(sa.or_(*(column == user_id for column in owner_columns)))
        )
        rows[table.name] = sorted(await connection.scalars(statement))
    return rows


@pytest.mark.parametrize("route", sorted(CROSS_USER | BY_QUERY))
async def test_user_b_cannot_reach_user_as_object(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, route: str
) -> None:
    # Given user A's object and user B
    case = (CROSS_USER | BY_QUERY)[route]
    owner, other = await make_user(), await make_user(**case.caller)
    parameters = await case.make(Scene(client, connection, make_user, owner))
    before = await rows_of(connection, owner.id)
    assert any(before.values())

    # When B calls the route with A's id
    method, template = route.split(" ", 1)
    response = await client.request(
        method,
        template.format(**parameters),
        json=case.body,
        params=case.query | parameters if case.ids_in_query else case.query,
        headers=other.headers,
    )

    # Then B is refused as listed, with a machine-readable error, and nothing of A's changed
    assert response.status_code == case.status, response.text
    assert case.status < 400 or response.json()["code"]
    assert await rows_of(connection, owner.id) == before
