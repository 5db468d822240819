"""JSON bodies are read strictly (api/request_input.py): a boolean is JSON true/false, a number a JSON
number. Query strings keep the usual "true"/"false". A time of day is "HH:MM" in ASCII digits
(domain/local_time.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.auth_support import PASSWORD, MakeUser

API = "/api/v1"
GOAL = {"title": "Run", "frequency_type": "daily", "reminder_times": ["18:00"]}


@pytest.mark.parametrize("flag", ["true", "false", 1, 0, "1"])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/notifications/preferences", {}, "enabled"),
        ("PUT", "/users/profile", {}, "morning_motivation_enabled"),
        ("POST", "/subscriptions/sync", {"tier": "free", "will_renew": False}, "is_active"),
        ("POST", "/auth/login", {"email": "someone@example.com", "password": PASSWORD}, "remember_me"),
    ],
)
async def test_a_body_boolean_must_be_json_true_or_false(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
    flag: object,
) -> None:
    user = await make_user()
    response = await client.request(method, API + path, json={**body, field: flag}, headers=user.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["key"] == field


async def test_a_check_in_answer_given_as_a_string_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    goal = (await client.post(f"{API}/goals", json=GOAL, headers=user.headers)).json()
    response = await client.post(
        f"{API}/check-ins", json={"goal_id": goal["id"], "completed": "false"}, headers=user.headers
    )
    assert response.status_code == 422, response.text
    listed = await client.get(f"{API}/check-ins", params={"exclude_pending": "true"}, headers=user.headers)
    assert listed.json() == []


async def test_a_number_given_as_a_string_is_refused(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    body = {**GOAL, "frequency_type": "weekly", "frequency_count": "3"}
    response = await client.post(f"{API}/goals", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["key"] == "frequency_count"


@pytest.mark.parametrize(("given", "expected"), [("true", 0), ("false", 1), ("1", 0), ("0", 1)])
async def test_query_string_booleans_take_the_usual_spellings(
    client: httpx.AsyncClient, make_user: MakeUser, given: str, expected: int
) -> None:
    user = await make_user()
    goal = (await client.post(f"{API}/goals", json=GOAL, headers=user.headers)).json()
    await client.post(f"{API}/goals/{goal['id']}/deactivate", headers=user.headers)
    response = await client.get(f"{API}/goals", params={"active_only": given}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert len(response.json()) == expected


@pytest.mark.parametrize("time_of_day", ["８:05", "8:05", " 08:05", "08:05 "])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/goals", lambda time: {**GOAL, "reminder_times": [time]}),
        ("PUT", "/users/profile", lambda time: {"morning_motivation_time": time}),
        ("PUT", "/notifications/preferences", lambda time: {"quiet_hours_start": time}),
        (
            "POST",
            "/onboarding/complete",
            lambda time: {"name": "Ann", "motivation_style": "supportive", "morning_motivation_time": time},
        ),
    ],
    ids=["goal-reminder", "morning-motivation", "quiet-hours", "onboarding"],
)
async def test_a_time_of_day_must_be_hh_mm_in_ascii_digits(
    client: httpx.AsyncClient, make_user: MakeUser, method: str, path: str, body: Any, time_of_day: str
) -> None:
    user = await make_user()
    response = await client.request(method, API + path, json=body(time_of_day), headers=user.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_time"


async def test_a_time_of_day_with_seconds_is_cut_to_minutes(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    response = await client.put(
        f"{API}/notifications/preferences", json={"quiet_hours_start": "22:30:59"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["quiet_hours_start"] == "22:30"
