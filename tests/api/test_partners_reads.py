"""GET /partners (with today's goals), /partners/{user}/dashboard, /partners/search and /suggested:
shapes, the partner's own local today, blocked pairs hidden both ways, and bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import users
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import insert_checkin
from tests.api.partners_support import NOW, PARTNERS, add_goal, day, make_partners, request_id


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def test_partners_list_with_today_goals_uses_each_partners_local_day(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given my partner in Auckland (already Thursday 2024-06-13 there) with three active goals:
    # logged today, a Wednesday-only weekly goal, and one skipped (answered) today; plus a paused goal
    me = await make_user(plan="premium")
    partner = await make_user(timezone="Pacific/Auckland")
    partnership = await make_partners(client, me, partner)
    logged = await add_goal(connection, partner.id, "Run", current_streak=4)
    await insert_checkin(connection, partner.id, logged, day("2024-06-13"), "completed")
    wednesday = await add_goal(connection, partner.id, "Swim", frequency_type="weekly", target_days=[3])
    await insert_checkin(connection, partner.id, wednesday, day("2024-06-12"), "completed")
    skipped = await add_goal(connection, partner.id, "Read", current_streak=0)
    await insert_checkin(connection, partner.id, skipped, day("2024-06-13"), "skipped")
    await add_goal(connection, partner.id, "Paused", status="paused", current_streak=9)

    plain = await client.get(PARTNERS, headers=me.headers)
    with_goals = await client.get(PARTNERS, params={"include_today_goals": "true"}, headers=me.headers)

    [item] = plain.json()
    assert "today_goals" not in item
    assert (item["id"], item["status"], item["has_active_items"]) == (partnership, "accepted", True)
    [full] = with_goals.json()
    assert (full["overall_streak"], full["logged_today"]) == (4, True)
    goals = {goal["title"]: goal for goal in full["today_goals"]}
    assert set(goals) == {"Run", "Swim", "Read"}
    assert (goals["Run"]["logged_today"], goals["Run"]["is_scheduled_today"]) == (True, True)
    assert (goals["Swim"]["logged_today"], goals["Swim"]["is_scheduled_today"]) == (False, False)
    assert goals["Read"]["logged_today"] is True


async def test_partners_list_returns_everything_without_a_limit_and_pages_with_one(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    me = await make_user(plan="premium")
    made = [await make_partners(client, await make_user(), me) for _ in range(3)]
    everything = await client.get(PARTNERS, headers=me.headers)
    assert sorted(item["id"] for item in everything.json()) == sorted(made)
    assert "x-next-cursor" not in everything.headers
    first = await client.get(PARTNERS, params={"limit": 2}, headers=me.headers)
    assert len(first.json()) == 2
    rest = await client.get(
        PARTNERS, params={"limit": 2, "cursor": first.headers["x-next-cursor"]}, headers=me.headers
    )
    assert sorted(item["id"] for item in first.json() + rest.json()) == sorted(made)


async def test_pending_and_sent_lists(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    a, b = await make_user(), await make_user()
    partnership = await request_id(client, a, b)
    [received] = (await client.get(f"{PARTNERS}/pending", headers=b.headers)).json()
    [sent] = (await client.get(f"{PARTNERS}/sent", headers=a.headers)).json()
    assert received["id"] == sent["id"] == partnership
    assert (received["partner_user_id"], received["initiated_by_user_id"]) == (str(a.id), str(a.id))
    assert (sent["partner_user_id"], sent["user_id"]) == (str(b.id), str(a.id))
    assert (await client.get(f"{PARTNERS}/pending", headers=a.headers)).json() == []


async def test_dashboard(client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection) -> None:
    me, partner = await make_user(), await make_user(timezone="Pacific/Auckland", name="Kiri")
    partnership = await make_partners(client, me, partner)
    run = await add_goal(connection, partner.id, "Run", current_streak=6)
    await insert_checkin(connection, partner.id, run, day("2024-06-13"), "rest_day")
    await add_goal(connection, partner.id, "Swim", frequency_type="weekly", target_days=[3], current_streak=2)
    await add_goal(connection, partner.id, "Old", status="archived", current_streak=50)

    response = await client.get(f"{PARTNERS}/{partner.id}/dashboard", headers=me.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["partner"]["name"] == "Kiri"
    assert body["partner"]["has_partner_feature"] is body["has_partner_feature"] is True
    assert body["partner"]["is_active"] is True
    assert (body["partnership_id"], body["challenges"], body["total_active_challenges"]) == (
        partnership,
        [],
        0,
    )
    assert (body["total_active_goals"], body["overall_streak"]) == (2, 6)
    assert (body["logged_today"], body["has_scheduled_today"]) == (True, True)
    goals = {goal["title"]: goal for goal in body["goals"]}
    assert goals["Run"] == {
        "id": str(run),
        "title": "Run",
        "status": "active",
        "current_streak": 6,
        "logged_today": True,
        "frequency_type": "daily",
        "is_scheduled_today": True,
    }
    assert goals["Swim"]["is_scheduled_today"] is False


async def test_dashboard_404_without_a_partnership_and_403_for_an_inactive_partner(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    me, partner, stranger = await make_user(), await make_user(), await make_user()
    await make_partners(client, me, partner)
    assert (await client.get(f"{PARTNERS}/{stranger.id}/dashboard", headers=me.headers)).status_code == 404
    assert (
        await client.get(f"{PARTNERS}/{partner.id}/dashboard", headers=stranger.headers)
    ).status_code == 404
    assert (await client.get(f"{PARTNERS}/{me.id}/dashboard", headers=me.headers)).status_code == 404
    assert (await client.get(f"{PARTNERS}/not-a-uuid/dashboard", headers=me.headers)).status_code == 404
    await connection.execute(sa.update(users).where(users.c.id == partner.id).values(status="disabled"))
    response = await client.get(f"{PARTNERS}/{partner.id}/dashboard", headers=me.headers)
    assert (response.status_code, response.json()["code"]) == (403, "partner_inactive")


async def test_a_pending_request_gives_no_dashboard(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    me, other = await make_user(), await make_user()
    await request_id(client, me, other)
    assert (await client.get(f"{PARTNERS}/{other.id}/dashboard", headers=me.headers)).status_code == 404


async def test_search_pages_statuses_and_exclusions(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    tag = uuid.uuid4().hex[:6]
    me = await make_user(name=f"Zed {tag}", plan="premium")
    sent_to = await make_user(username=f"{tag}_a_sent")
    received_from = await make_user(username=f"{tag}_b_recv")
    partner = await make_user(username=f"{tag}_c_partner")
    plain = await make_user(username=f"{tag}_d_plain")
    await make_user(username=f"{tag}_e_new", onboarding_completed_at=None)
    await make_user(username=f"{tag}_f_off", status="suspended")
    blocked_by_me = await make_user(username=f"{tag}_g_blocked")
    blocker = await make_user(username=f"{tag}_h_blocker")
    sent_id = await request_id(client, me, sent_to)
    received_id = await request_id(client, received_from, me)
    partner_id = await make_partners(client, partner, me)
    await client.post(
        f"{PARTNERS}/report/{blocked_by_me.id}",
        json={"reason": "spam", "block_partner": True},
        headers=me.headers,
    )
    await client.post(
        f"{PARTNERS}/report/{me.id}", json={"reason": "spam", "block_partner": True}, headers=blocker.headers
    )

    first = (
        await client.get(f"{PARTNERS}/search", params={"query": tag.upper(), "limit": 3}, headers=me.headers)
    ).json()
    second = (
        await client.get(
            f"{PARTNERS}/search", params={"query": tag, "limit": 3, "page": 2}, headers=me.headers
        )
    ).json()

    assert (first["total"], first["page"], first["limit"], first["has_more"]) == (4, 1, 3, True)
    assert first["next_cursor"]
    assert [(user["id"], user["request_status"], user["partnership_id"]) for user in first["users"]] == [
        (str(sent_to.id), "sent", sent_id),
        (str(received_from.id), "received", received_id),
        (str(partner.id), "accepted", partner_id),
    ]
    assert (first["users"][2]["is_partner"], first["users"][0]["has_pending_request"]) == (True, True)
    assert [(user["id"], user["request_status"], user["partnership_id"]) for user in second["users"]] == [
        (str(plain.id), "none", None)
    ]
    assert second["has_more"] is False
    by_cursor = (
        await client.get(
            f"{PARTNERS}/search",
            params={"query": tag, "limit": 3, "cursor": first["next_cursor"]},
            headers=me.headers,
        )
    ).json()
    assert [user["id"] for user in by_cursor["users"]] == [str(plain.id)]
    # the blocked pairs do not find me either
    for hidden in (blocked_by_me, blocker):
        found = (
            await client.get(f"{PARTNERS}/search", params={"query": "Zed " + tag}, headers=hidden.headers)
        ).json()
        assert found["users"] == []


async def test_search_treats_like_wildcards_as_text(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    me = await make_user()
    await make_user(username=f"x{uuid.uuid4().hex[:8]}")
    found = (await client.get(f"{PARTNERS}/search", params={"query": "%%"}, headers=me.headers)).json()
    assert found["users"] == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"query": "a"},
        {"query": "  b "},
        {"query": "ab", "limit": 0},
        {"query": "ab", "limit": 101},
        {"query": "ab", "page": 0},
        {"query": "ab", "cursor": "!!"},
    ],
)
async def test_search_bad_input_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, params: dict[str, str | int]
) -> None:
    me = await make_user()
    response = await client.get(f"{PARTNERS}/search", params=params, headers=me.headers)
    assert response.status_code == 422, response.text
    assert {"detail", "code"} <= set(response.json())


async def test_suggestions_score_and_exclude_pairs(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    me = await make_user(timezone="Europe/London", plan="premium")
    await add_goal(connection, me.id, "Morning run", current_streak=5)
    twin = await make_user(timezone="Europe/London")
    await add_goal(connection, twin.id, "Evening run", current_streak=5)
    far = await make_user(timezone="Pacific/Auckland")
    await add_goal(
        connection, far.id, "Learn piano", frequency_type="weekly", target_days=[1], current_streak=0
    )
    partner, pending, blocked, blocker = [await make_user() for _ in range(4)]
    for other in (partner, pending, blocked, blocker):
        await add_goal(connection, other.id, "Morning run")
    goalless = await make_user()
    await make_partners(client, partner, me)
    await request_id(client, me, pending)
    await client.post(
        f"{PARTNERS}/report/{blocked.id}", json={"reason": "spam", "block_partner": True}, headers=me.headers
    )
    await client.post(
        f"{PARTNERS}/report/{me.id}", json={"reason": "spam", "block_partner": True}, headers=blocker.headers
    )

    body = (await client.get(f"{PARTNERS}/suggested", headers=me.headers)).json()

    ids = [user["id"] for user in body["users"]]
    assert str(twin.id) in ids
    assert str(far.id) in ids
    for excluded in (partner, pending, blocked, blocker, goalless, me):
        assert str(excluded.id) not in ids
    top = body["users"][0]
    assert top["id"] == str(twin.id)
    assert top["matched_goals"] == ["Evening run"]
    assert "Similar goals" in top["match_reasons"]
    assert "Same timezone" in top["match_reasons"]
    assert top["request_status"] == "none"
    far_hit = next(user for user in body["users"] if user["id"] == str(far.id))
    assert far_hit["match_score"] < top["match_score"]
    assert (body["page"], body["limit"], body["total"]) == (1, 20, len(ids))
    # the blocked pairs do not see me suggested either
    for hidden in (blocked, blocker):
        others = (await client.get(f"{PARTNERS}/suggested", headers=hidden.headers)).json()["users"]
        assert str(me.id) not in [user["id"] for user in others]


async def test_an_expired_request_reads_as_none_in_search(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FixedClock
) -> None:
    tag = uuid.uuid4().hex[:8]
    me, other = await make_user(), await make_user(username=f"exp_{tag}")
    await request_id(client, me, other)
    clock.instant = NOW + timedelta(days=31)
    [hit] = (await client.get(f"{PARTNERS}/search", params={"query": tag}, headers=me.headers)).json()[
        "users"
    ]
    assert (hit["request_status"], hit["partnership_id"], hit["has_pending_request"]) == ("none", None, False)
