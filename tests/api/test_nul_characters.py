"""A NUL character (U+0000) cannot be stored by PostgreSQL: every route refuses it at the edge (422),
except the RevenueCat webhook, which strips it so the purchase is still applied (api/request_input.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncConnection

from api.request_input import NUL_DETAIL
from db.tables import webhook_events
from settings import Settings
from tests.api.auth_support import PASSWORD, MakeUser
from tests.support.revenuecat import cached_plan, revenuecat_event

API = "/api/v1"
NUL = "\u0000"
GOAL_ID = uuid4()
CHECKIN_ID = uuid4()
POST_ID = uuid4()
USER_ID = uuid4()
CHALLENGE_ID = uuid4()
CHALLENGE_CHECK_IN_ID = uuid4()
BLOG_POST = {
    "title": "Small wins",
    "content": "Start with two minutes.",
    "slug": "small-wins",
    "excerpt": "Why tiny habits stick",
    "featured_image_url": "https://example.com/wins.png",
    "status": "draft",
    "author_name": "Coach",
}
DEVICE_INFO = {"device_name": "Pixel 8", "device_id": "device-1", "device_type": "android"}

# A valid body for every route that takes one, except the webhook (tested on its own below); the test
# puts a NUL into each text field in turn. Ids in paths need not exist: the body is refused first.
WRITE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/auth/signup"): {
        "email": "nul@example.com",
        "password": PASSWORD,
        "name": "Nul Tester",
        "username": "nul_tester",
        "timezone": "Europe/Paris",
        "country": "FR",
        "referral_code": "FRIEND22",
        "device_info": DEVICE_INFO,
    },
    ("POST", "/auth/login"): {"email": "nul@example.com", "password": PASSWORD, "device_info": DEVICE_INFO},
    ("POST", "/auth/refresh"): {"refresh_token": "family.token.secret"},
    # The app sends {}: no text to carry a NUL, listed so the coverage check knows the route.
    ("POST", "/data-export/request"): {},
    # The streamed coach turn refuses a NUL before it accepts anything (no stream starts).
    ("POST", "/ai-coach/chat"): {"message": "Help me run more"},
    ("POST", "/auth/oauth/google"): {
        "id_token": "header.claims.signature",
        "nonce": "n-1",
        "referral_code": "FRIEND22",
        "device_info": DEVICE_INFO,
    },
    ("POST", "/auth/oauth/apple"): {
        "identity_token": "header.claims.signature",
        "authorization_code": "code",
        "email": "nul@example.com",
        "full_name": {"givenName": "Nul", "familyName": "Tester"},
        "nonce": "n-1",
        "referral_code": "FRIEND22",
        "device_info": DEVICE_INFO,
    },
    ("POST", "/auth/link/google"): {"id_token": "header.claims.signature", "nonce": "n-1"},
    ("POST", "/auth/link/apple"): {"identity_token": "header.claims.signature", "authorization_code": "code"},
    ("POST", "/auth/verify-email"): {"code": "123456", "email": "nul@example.com"},
    ("POST", "/auth/resend-verification"): {"email": "nul@example.com"},
    ("POST", "/auth/forgot-password"): {"email": "nul@example.com"},
    ("POST", "/auth/reset-password/validate"): {"token": "reset-token"},
    ("POST", "/auth/reset-password"): {"token": "reset-token", "new_password": "Brand-new Passw0rd"},
    ("POST", "/auth/set-password"): {"new_password": "Brand-new Passw0rd"},
    ("POST", "/users/change-password"): {"current_password": PASSWORD, "new_password": "Brand-new Passw0rd"},
    ("POST", "/goals"): {
        "title": "Run",
        "frequency_type": "daily",
        "reminder_times": ["18:00"],
        "why_statement": "To feel good",
    },
    ("PUT", f"/goals/{GOAL_ID}"): {"title": "Run", "reminder_times": ["18:00"], "why_statement": "Why"},
    ("POST", "/check-ins"): {
        "goal_id": str(GOAL_ID),
        "completed": False,
        "mood": "good",
        "skip_reason": "tired",
        "note": "Long day",
        "notes": "Long day",
        "check_in_date": "2025-01-01",
    },
    ("PUT", f"/check-ins/{CHECKIN_ID}"): {"mood": "good", "note": "Better", "notes": "Better"},
    ("PUT", "/users/profile"): {
        "name": "Nul Tester",
        "username": "nul_tester",
        "bio": "Runner",
        "timezone": "Europe/Paris",
        "language": "fr-FR",
        "country": "FR",
        "profile_picture_url": "https://example.com/me.png",
        "motivation_style": "supportive",
        "morning_motivation_time": "07:30",
    },
    ("POST", "/onboarding/complete"): {
        "name": "Nul Tester",
        "motivation_style": "supportive",
        "morning_motivation_time": "07:30",
    },
    ("PUT", "/notifications/preferences"): {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00"},
    ("POST", "/notifications/register-device"): {
        "fcm_token": "ExponentPushToken[abc123]",
        "device_type": "ios",
        "device_id": "device-1",
        "app_version": "2.5.0",
        "os_version": "17.4",
        "timezone": "Europe/Paris",
    },
    ("POST", "/nudges"): {
        "recipient_id": str(uuid4()),
        "nudge_type": "custom",
        "message": "Keep going",
        "emoji": "fire",
        "goal_id": str(GOAL_ID),
        "partnership_id": str(uuid4()),
    },
    ("POST", "/admin/blog/posts"): BLOG_POST,
    ("PUT", f"/admin/blog/posts/{POST_ID}"): BLOG_POST,
    ("POST", "/admin/blog/categories"): {"name": "Habits", "slug": "habits", "description": "Routines"},
    ("POST", "/admin/blog/tags"): {"name": "Mornings", "slug": "mornings"},
    ("POST", "/partners/request"): {"partner_user_id": str(USER_ID), "message": "Train with me?"},
    ("POST", f"/partners/report/{USER_ID}"): {"reason": "spam", "details": "Sends ads"},
    ("POST", "/ai-coach/chat/async"): {
        "message": "Plan my week",
        "conversation_id": str(uuid4()),
        "language": "en",
        "goal_id": str(GOAL_ID),
    },
    ("POST", "/ai-coach/unlock-message"): {
        "reward_type": "ai_message",
        "reward_amount": 1,
        "reward_id": "ad-1",
    },
    # The app sends {}: no text to carry a NUL, listed so the coverage check knows the route.
    ("POST", "/ai-coach/conversations/new"): {},
    ("POST", "/challenges"): {
        "title": "Run",
        "description": "Daily",
        "challenge_type": "streak",
        "duration_days": 7,
        "start_date": "2030-01-01",
        "category": "fitness",
        "reminder_times": ["18:00"],
        "metadata": {"note": "text"},
    },
    ("PATCH", f"/challenges/{CHALLENGE_ID}/edit"): {
        "title": "Run",
        "description": "Daily",
        "reminder_times": ["18:00"],
    },
    ("POST", f"/challenges/{CHALLENGE_ID}/cancel"): {"reason": "Injured"},
    ("POST", f"/challenges/{CHALLENGE_ID}/invite"): {"user_id": str(USER_ID)},
    ("POST", f"/challenges/{CHALLENGE_ID}/check-in"): {
        "notes": "Done",
        "mood": "good",
        "photo_url": "https://x.io/p.png",
    },
    ("PUT", f"/challenges/{CHALLENGE_ID}/check-ins/{CHALLENGE_CHECK_IN_ID}"): {
        "notes": "Done",
        "mood": "good",
    },
    ("POST", "/subscriptions/sync"): {
        "tier": "premium",
        "is_active": True,
        "will_renew": True,
        "platform": "ios",
        "product_id": "com.fitnudge.premium.monthly",
    },
}
WEBHOOK = ("POST", "/webhooks/revenuecat")


def text_fields(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every string in a body, nested objects and lists included."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from text_fields(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from text_fields(child, (*path, index))


def with_nul_at(body: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = f"{parent[path[-1]][:2]}{NUL}{parent[path[-1]][2:]}"
    return changed


CASES = [
    pytest.param(route, path, id=f"{route[0]} {route[1]} {'.'.join(map(str, path))}")
    for route, body in WRITE_BODIES.items()
    for path in text_fields(body)
]


def routes_with_a_body(app: Litestar) -> set[tuple[str, str]]:
    return {
        (method, route.path.removeprefix(API))
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.parsed_data_field is not None
        for method in handler.http_methods
    }


def test_every_route_with_a_body_is_covered(app: Litestar) -> None:
    covered = {(method, path.replace(str(GOAL_ID), "{goal_id:uuid}")) for method, path in WRITE_BODIES}
    covered = {(method, path.replace(str(CHECKIN_ID), "{checkin_id:str}")) for method, path in covered}
    covered = {(method, path.replace(str(POST_ID), "{post_id:uuid}")) for method, path in covered}
    covered = {(method, path.replace(str(USER_ID), "{user_id:uuid}")) for method, path in covered}
    covered = {(method, path.replace(str(CHALLENGE_ID), "{challenge_id:uuid}")) for method, path in covered}
    covered = {
        (method, path.replace(str(CHALLENGE_CHECK_IN_ID), "{check_in_id:uuid}")) for method, path in covered
    }
    assert routes_with_a_body(app) == covered | {WEBHOOK}


@pytest.mark.parametrize(("route", "field"), CASES)
async def test_a_nul_in_any_text_field_is_refused_with_422(
    client: httpx.AsyncClient, make_user: MakeUser, route: tuple[str, str], field: tuple[str | int, ...]
) -> None:
    method, path = route
    # An admin, so the admin routes reach their body too
    user = await make_user(role="admin")
    response = await client.request(
        method, API + path, json=with_nul_at(WRITE_BODIES[route], field), headers=user.headers
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": NUL_DETAIL, "code": "validation_error"}


@pytest.mark.parametrize(
    "url",
    [
        "/notifications/register-device?fcm_token=ExponentPushToken[a%00b]",
        "/goals?cursor=%00",
        "/subscription-plans/plans/premium%00",
    ],
)
async def test_a_nul_in_the_query_or_path_is_refused_with_422(
    client: httpx.AsyncClient, make_user: MakeUser, url: str
) -> None:
    user = await make_user()
    method = "DELETE" if url.startswith("/notifications") else "GET"
    response = await client.request(method, API + url, headers=user.headers)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": NUL_DETAIL, "code": "validation_error"}


async def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    body = {**WRITE_BODIES[("POST", "/goals")], "title": "C:\\u0000 drive"}
    response = await client.post(f"{API}/goals", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "C:\\u0000 drive"


async def test_the_revenuecat_webhook_strips_nul_characters_and_still_applies_the_purchase(
    client: httpx.AsyncClient, settings: Settings, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    event = revenuecat_event(
        "INITIAL_PURCHASE",
        user.id,
        at=datetime.now(UTC) - timedelta(hours=1),
        # Subscriber attributes are set by the app: a user can put anything there.
        subscriber_attributes={f"$display{NUL}Name": {"value": f"Eve{NUL}", "updated_at_ms": 0}},
        country_code=f"U{NUL}S",
    )
    response = await client.post(
        f"{API}/webhooks/revenuecat",
        json=event,
        headers={"Authorization": settings.revenuecat_webhook_secret},
    )
    assert response.status_code == 200, response.text
    assert await cached_plan(connection, user.id) == "premium"
    stored = (await connection.execute(sa.select(webhook_events.c.status, webhook_events.c.payload))).one()
    assert stored.status == "completed"
    assert stored.payload["event"]["subscriber_attributes"] == {
        "$displayName": {"value": "Eve", "updated_at_ms": 0}
    }
    assert stored.payload["event"]["country_code"] == "US"
