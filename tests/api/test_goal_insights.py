"""GET /goals/{id}/insights and POST …/refresh (docs/domain.md §3.14): gating, the data threshold,
the metrics, the 24 h row, refresh, stale generations, and the template insights without a model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import pattern_insights
from tests.api.auth_support import MakeUser
from tests.support.insights import (
    EXPECTED_ANSWERED_90D,
    EXPECTED_METRICS,
    add_completed,
    insight_of,
    seed_history,
    set_generating,
)
from tests.support.rows import insert_goal_row

# 22:00 UTC is 11:00 of the next day in Auckland (UTC+13 in March): every window ends on that local
# date, and the figures would differ on the UTC one.
NOW = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
ZONE = "Pacific/Auckland"
LOCAL_TODAY = date(2026, 3, 11)
RESPONSE_FIELDS = {
    "goal_id",
    "goal_title",
    "status",
    "insights",
    "nudge_config",
    "current_metrics",
    "previous_metrics",
    "checkins_count",
    "min_required",
    "generated_at",
    "summary",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def insights_path(goal_id: Any) -> str:
    return f"/api/v1/goals/{goal_id}/insights"


async def premium_goal(connection: AsyncConnection, make_user: MakeUser, **goal: Any) -> tuple[Any, Any]:
    user = await make_user(plan="premium", timezone=ZONE)
    goal_id = await insert_goal_row(
        connection, user.id, ("19:30", "07:15"), current_streak=2, longest_streak=5, **goal
    )
    return user, goal_id


async def test_free_plan_is_refused_on_both_routes(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    user = await make_user()
    goal_id = await insert_goal_row(connection, user.id)
    for response in (
        await client.get(insights_path(goal_id), headers=user.headers),
        await client.post(f"{insights_path(goal_id)}/refresh", json={}, headers=user.headers),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "Goal insights require a premium subscription"
        assert response.json()["code"] == "pattern_detection_required"
    assert await insight_of(connection, goal_id) is None


async def test_unknown_goal_is_404(client: AsyncClient, make_user: MakeUser) -> None:
    user = await make_user(plan="premium")
    response = await client.get(insights_path("00000000-0000-0000-0000-000000000001"), headers=user.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "goal_not_found"


async def test_too_few_answered_rows_is_insufficient_data(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a weekly goal on 3 days (6 answered rows needed) with 5 answered, a pending and missed rows
    user, goal_id = await premium_goal(connection, make_user, target_days=[1, 3, 5])
    await add_completed(connection, user.id, goal_id, [LOCAL_TODAY - timedelta(days=n) for n in range(1, 6)])
    await add_completed(connection, user.id, goal_id, [LOCAL_TODAY - timedelta(days=91)])  # out of window
    await connection.execute(
        sa.text("UPDATE check_ins SET status = 'missed' WHERE goal_id = :g AND check_in_date = :d"),
        {"g": goal_id, "d": LOCAL_TODAY - timedelta(days=5)},
    )

    # When the owner asks
    response = await client.get(insights_path(goal_id), headers=user.headers)

    # Then the answer says how many count and how many are needed, and the row says so too
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    assert body["status"] == "insufficient_data"
    assert (body["checkins_count"], body["min_required"]) == (4, 6)
    assert body["insights"] == []
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.checkins_analyzed) == ("insufficient_data", 4)


async def test_first_request_generates_from_exact_metrics_with_templates_without_a_model(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a goal with a seeded history (tests/support/insights.py works the figures by hand)
    user, goal_id = await premium_goal(connection, make_user, title="Swim")
    await seed_history(connection, user.id, goal_id, LOCAL_TODAY)

    # When the owner asks for the first time (no OPENAI_API_KEY in tests: no model)
    response = await client.get(insights_path(goal_id), headers=user.headers)

    # Then the insights were generated within the request, from the metrics
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert body["goal_title"] == "Swim"
    assert (body["checkins_count"], body["min_required"]) == (EXPECTED_ANSWERED_90D, 3)
    metrics = body["current_metrics"]
    assert metrics.pop("calculated_at") == NOW.isoformat()
    assert metrics == EXPECTED_METRICS
    assert body["previous_metrics"] is None
    assert body["nudge_config"] == {
        "risky_days": [1],
        "risk_level": "medium",
        "best_nudge_time": "07:15",
        "needs_extra_motivation": True,
    }
    texts = [insight["text"] for insight in body["insights"]]
    assert [insight["type"] for insight in body["insights"]] == ["pattern", "tip", "warning"]
    assert "Sunday" in texts[0]
    assert "Monday" in texts[1]
    assert "60%" in texts[2]
    assert body["summary"] == "Swim: 62.5% done over the last 30 days (5 of 8), current streak 2."
    assert datetime.fromisoformat(body["generated_at"]) == NOW
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.summary, row.claim_id, row.checkins_analyzed) == (
        "completed",
        body["summary"],
        None,
        EXPECTED_ANSWERED_90D,
    )


async def test_a_completed_row_is_served_for_24_hours_then_generated_again(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, clock: FixedClock
) -> None:
    user, goal_id = await premium_goal(connection, make_user)
    await seed_history(connection, user.id, goal_id, LOCAL_TODAY)
    first = (await client.get(insights_path(goal_id), headers=user.headers)).json()
    # A new completed day changes the figures, but not the row of the last 24 hours
    await add_completed(connection, user.id, goal_id, [LOCAL_TODAY - timedelta(days=20)])

    clock.instant = NOW + timedelta(hours=23)
    served = (await client.get(insights_path(goal_id), headers=user.headers)).json()
    assert served["current_metrics"] == first["current_metrics"]
    assert served["generated_at"] == first["generated_at"]

    clock.instant = NOW + timedelta(hours=25)
    again = (await client.get(insights_path(goal_id), headers=user.headers)).json()
    assert again["status"] == "completed"
    assert datetime.fromisoformat(again["generated_at"]) == clock.instant
    assert again["previous_metrics"] == first["current_metrics"]
    assert again["current_metrics"]["total_checkins_30d"] == first["current_metrics"]["total_checkins_30d"]


async def test_refresh_generates_again_at_once(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser, clock: FixedClock
) -> None:
    user, goal_id = await premium_goal(connection, make_user)
    await seed_history(connection, user.id, goal_id, LOCAL_TODAY)
    first = (await client.get(insights_path(goal_id), headers=user.headers)).json()
    await add_completed(connection, user.id, goal_id, [LOCAL_TODAY - timedelta(days=20)])
    clock.instant = NOW + timedelta(minutes=5)

    response = await client.post(f"{insights_path(goal_id)}/refresh", json={}, headers=user.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "message": "Insights refreshed successfully",
        "goal_id": str(goal_id),
        "status": "completed",
        "insights_count": 3,
    }
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert row.generated_at == clock.instant
    assert row.previous_metrics == first["current_metrics"]
    assert row.current_metrics["total_checkins_30d"] == EXPECTED_METRICS["total_checkins_30d"] + 1


async def test_refresh_with_too_few_rows_says_so(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    user, goal_id = await premium_goal(connection, make_user)
    response = await client.post(f"{insights_path(goal_id)}/refresh", json={}, headers=user.headers)
    assert response.json() == {
        "message": "Not enough data for insights",
        "goal_id": str(goal_id),
        "status": "insufficient_data",
        "insights_count": 0,
    }


async def test_a_live_generation_is_answered_as_generating_and_left_alone(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    user, goal_id = await premium_goal(connection, make_user)
    await seed_history(connection, user.id, goal_id, LOCAL_TODAY)
    await set_generating(connection, user.id, goal_id, since=NOW - timedelta(minutes=14))

    for response in (
        await client.get(insights_path(goal_id), headers=user.headers),
        await client.post(f"{insights_path(goal_id)}/refresh", json={}, headers=user.headers),
    ):
        assert response.json()["status"] == "generating"
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.claim_id) == ("generating", UUID(int=1))


async def test_a_stale_generation_is_taken_over(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a row left generating 16 minutes ago by a generation that died (STALE_GENERATING is 15)
    user, goal_id = await premium_goal(connection, make_user)
    await seed_history(connection, user.id, goal_id, LOCAL_TODAY)
    await set_generating(connection, user.id, goal_id, since=NOW - timedelta(minutes=16))

    response = await client.get(insights_path(goal_id), headers=user.headers)

    assert response.json()["status"] == "completed"
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert (row.status, row.claim_id) == ("completed", None)


async def test_a_failed_row_is_answered_until_a_refresh(
    client: AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    user, goal_id = await premium_goal(connection, make_user)
    await seed_history(connection, user.id, goal_id, LOCAL_TODAY)
    await connection.execute(
        sa.insert(pattern_insights).values(
            goal_id=goal_id, user_id=user.id, status="failed", error_message="RuntimeError"
        )
    )

    assert (await client.get(insights_path(goal_id), headers=user.headers)).json()["status"] == "failed"
    refreshed = await client.post(f"{insights_path(goal_id)}/refresh", json={}, headers=user.headers)
    assert refreshed.json()["status"] == "completed"
    row = await insight_of(connection, goal_id)
    assert row is not None
    assert row.error_message is None
