"""POST /challenges, the lists, the detail, edit, delete, cancel and leave: the rules of
docs/domain.md §3.6 and the rows they leave."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import (
    challenge_check_ins,
    challenge_invites,
    challenge_leaderboard,
    challenges,
    notification_history,
)
from tests.api.auth_support import MakeUser
from tests.api.challenges_support import (
    CHALLENGES,
    NOW,
    TODAY,
    challenge_body,
    create,
    days,
    join,
    members,
    scored,
)
from tests.api.partners_support import make_partners


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def test_a_premium_user_creates_an_upcoming_challenge_and_is_its_first_participant(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator = await make_user(plan="premium", timezone="Pacific/Auckland")
    # Auckland is already on the 13th: tomorrow in UTC is its today, a valid start.
    body = await create(
        client, creator, description="Some water", category="nutrition", reminder_times=["19:00:30", "07:00"]
    )
    assert body["status"] == "upcoming"
    assert body["created_by"] == body["creator_id"] == str(creator.id)
    assert body["end_date"] == days(7).isoformat()  # start + 7 days - 1
    assert body["tracking_type"] == "hydration"
    assert body["reminder_times"] == ["07:00", "19:00"]
    assert body["is_public"] is True
    stored = (
        await connection.execute(sa.select(challenges.c.timezone).where(challenges.c.id == UUID(body["id"])))
    ).scalar()
    assert stored == "Pacific/Auckland"
    assert await members(connection, body["id"]) == await scored(connection, body["id"]) == {creator.id}


@pytest.mark.parametrize(
    ("category", "title", "expected"),
    [
        ("fitness", "Lift", "workout"),
        ("nutrition", "Eat greens", "meal"),
        ("nutrition", "Drink 2000ml daily", "hydration"),
        ("nutrition", "Learn HTML while eating", "meal"),
        ("sleep", "Bed by ten", "checkin"),
        (None, "Anything", "checkin"),
    ],
)
async def test_tracking_type_follows_the_category(
    client: httpx.AsyncClient, make_user: MakeUser, category: str | None, title: str, expected: str
) -> None:
    creator = await make_user(plan="premium")
    assert (await create(client, creator, category=category, title=title))["tracking_type"] == expected


async def test_a_free_user_cannot_create_a_challenge(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    free = await make_user()
    response = await client.post(f"{CHALLENGES}/", json=challenge_body(), headers=free.headers)
    assert (response.status_code, response.json()["code"]) == (403, "challenge_create_required")


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"start_date": days(-1).isoformat()}, 400, "start_date_in_past"),
        ({"start_date": days(400).isoformat()}, 400, "start_date_too_far"),
        ({"start_date": "9999-12-31"}, 400, "start_date_too_far"),
        ({"end_date": TODAY.isoformat()}, 400, "end_before_start"),
        ({"end_date": days(500).isoformat()}, 400, "challenge_too_long"),
        ({"join_deadline": days(30).isoformat()}, 400, "join_deadline_after_end"),
        ({"challenge_type": "checkin_count"}, 400, "target_checkins_required"),
        ({"title": "   "}, 400, "title_required"),
        (
            {"reminder_times": ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00"]},
            400,
            "too_many_reminder_times",
        ),
        ({"reminder_times": ["6pm"]}, 422, "invalid_time"),
        ({"duration_days": 0}, 422, "validation_error"),
        ({"duration_days": 2**40}, 422, "validation_error"),
        ({"max_participants": 1}, 422, "validation_error"),
        ({"max_participants": 2**40}, 422, "validation_error"),
        ({"target_checkins": 0, "challenge_type": "checkin_count"}, 422, "validation_error"),
        ({"challenge_type": "distance"}, 422, "validation_error"),
        ({"days_of_week": [7]}, 422, "validation_error"),
    ],
)
async def test_bad_values_get_a_4xx_and_write_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    fields: dict[str, Any],
    status: int,
    code: str,
) -> None:
    creator = await make_user(plan="premium")
    response = await client.post(f"{CHALLENGES}/", json=challenge_body(**fields), headers=creator.headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    count = (
        await connection.execute(sa.select(sa.func.count()).where(challenges.c.created_by == creator.id))
    ).scalar()
    assert count == 0


async def test_the_detail_shows_the_callers_place(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    creator, joiner, stranger = (
        await make_user(plan="premium", name="Cara"),
        await make_user(),
        await make_user(),
    )
    challenge = await create(client, creator, challenge_type="checkin_count", target_checkins=12)
    assert (await join(client, joiner, challenge["id"])).status_code == 200

    mine = (await client.get(f"{CHALLENGES}/{challenge['id']}", headers=joiner.headers)).json()
    assert mine["is_participant"] is True
    assert mine["is_creator"] is False
    assert mine["is_partner_view"] is False
    assert mine["participants_count"] == 2
    assert mine["target_value"] == 12
    assert mine["my_progress"] == 0
    assert mine["creator"]["name"] == "Cara"

    theirs = (await client.get(f"{CHALLENGES}/{challenge['id']}", headers=stranger.headers)).json()
    assert (theirs["is_participant"], theirs["my_progress"], theirs["my_rank"]) == (False, None, None)


async def test_a_private_challenge_is_404_to_outsiders_and_read_only_to_a_participants_partner(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    creator, stranger, partner = await make_user(plan="premium"), await make_user(), await make_user()
    await make_partners(client, creator, partner)
    challenge = await create(client, creator, is_public=False, reminder_times=["08:00"])
    path = f"{CHALLENGES}/{challenge['id']}"

    for route in (path, f"{path}/participants"):
        response = await client.get(route, headers=stranger.headers)
        assert (response.status_code, response.json()["code"]) == (404, "challenge_not_found")
    assert (await join(client, stranger, challenge["id"])).status_code == 404
    listed = (await client.get(f"{CHALLENGES}/public", headers=stranger.headers)).json()
    assert challenge["id"] not in {entry["id"] for entry in listed}

    seen = (await client.get(path, headers=partner.headers)).json()
    assert seen["is_partner_view"] is True
    assert seen["reminder_times"] == []


async def test_lists_page_by_keyset_newest_first_and_hide_cancelled(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FixedClock
) -> None:
    creator, reader = await make_user(plan="premium"), await make_user()
    made = []
    for minute in range(5):
        clock.instant = NOW.replace(minute=minute)
        made.append((await create(client, creator, title=f"C{minute}"))["id"])
    cancelled = await client.post(f"{CHALLENGES}/{made[0]}/cancel", json={}, headers=creator.headers)
    assert cancelled.status_code == 200

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await client.get(f"{CHALLENGES}/public", params=params, headers=reader.headers)
        seen += [entry["id"] for entry in response.json() if entry["created_by"] == str(creator.id)]
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
    assert seen == made[:0:-1]

    only_cancelled = await client.get(
        f"{CHALLENGES}/", params={"status": "cancelled"}, headers=creator.headers
    )
    assert [entry["id"] for entry in only_cancelled.json()] == [made[0]]
    my = (await client.get(f"{CHALLENGES}/my", headers=creator.headers)).json()
    assert [entry["id"] for entry in my] == made[:0:-1]
    assert all(entry["is_creator"] and entry["is_participant"] for entry in my)
    assert (await client.get(f"{CHALLENGES}/my", headers=reader.headers)).json() == []


async def test_edit_is_for_the_creator_while_upcoming_and_only_extends(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, joiner = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator, join_deadline=days(2).isoformat(), max_participants=5)
    path = f"{CHALLENGES}/{challenge['id']}/edit"
    assert (await join(client, joiner, challenge["id"])).status_code == 200

    refused = {
        "join_deadline": (days(1), "join_deadline_not_extended"),
        "max_participants": (4, "max_participants_not_raised"),
    }
    for field, (value, code) in refused.items():
        body = {field: value.isoformat() if hasattr(value, "isoformat") else value}
        response = await client.patch(path, json=body, headers=creator.headers)
        assert (response.status_code, response.json()["code"]) == (400, code)
    response = await client.patch(path, json={"join_deadline": days(8).isoformat()}, headers=creator.headers)
    assert response.json()["code"] == "join_deadline_after_end"

    not_creator = await client.patch(path, json={"title": "Mine"}, headers=joiner.headers)
    assert (not_creator.status_code, not_creator.json()["code"]) == (403, "not_challenge_creator")

    edited = await client.patch(
        path,
        json={
            "title": " Walk ",
            "join_deadline": days(3).isoformat(),
            "max_participants": None,
            "reminder_times": ["06:00"],
        },
        headers=creator.headers,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["join_deadline"], body["max_participants"], body["reminder_times"]) == (
        "Walk",
        days(3).isoformat(),
        None,
        ["06:00"],
    )
    assert body["participants_count"] == 2

    await connection.execute(
        sa.update(challenges).where(challenges.c.id == UUID(challenge["id"])).values(status="active")
    )
    active = await client.patch(path, json={"title": "Late"}, headers=creator.headers)
    assert (active.status_code, active.json()["code"]) == (400, "challenge_not_editable")


async def test_delete_only_while_nobody_else_joined(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, joiner = await make_user(plan="premium"), await make_user()
    lone, joined = await create(client, creator), await create(client, creator)
    assert (await join(client, joiner, joined["id"])).status_code == 200

    refused = await client.delete(f"{CHALLENGES}/{joined['id']}", headers=creator.headers)
    assert (refused.status_code, refused.json()["code"]) == (400, "cancel_instead")
    not_creator = await client.delete(f"{CHALLENGES}/{lone['id']}", headers=joiner.headers)
    assert not_creator.status_code == 403

    assert (await client.delete(f"{CHALLENGES}/{lone['id']}", headers=creator.headers)).status_code == 200
    remaining = await connection.execute(
        sa.select(challenges.c.id).where(challenges.c.created_by == creator.id)
    )
    assert set(remaining.scalars()) == {UUID(joined["id"])}


async def test_cancel_closes_the_challenge_its_invites_and_tells_the_others(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, joiner, invitee = await make_user(plan="premium"), await make_user(), await make_user()
    challenge = await create(client, creator)
    path = f"{CHALLENGES}/{challenge['id']}"
    assert (await join(client, joiner, challenge["id"])).status_code == 200
    invited = await client.post(f"{path}/invite", json={"user_id": str(invitee.id)}, headers=creator.headers)
    assert invited.status_code == 200, invited.text

    not_creator = await client.post(f"{path}/cancel", json={}, headers=joiner.headers)
    assert not_creator.status_code == 403
    response = await client.post(f"{path}/cancel", json={"reason": "Injured"}, headers=creator.headers)
    assert response.json() == {
        "message": "Challenge cancelled.",
        "challenge_id": challenge["id"],
        "participants_affected": 1,
    }

    row = (
        await connection.execute(sa.select(challenges).where(challenges.c.id == UUID(challenge["id"])))
    ).one()
    assert (row.status, row.cancelled_reason, row.cancelled_at) == ("cancelled", "Injured", NOW)
    invites = await connection.execute(
        sa.select(challenge_invites.c.id).where(challenge_invites.c.challenge_id == row.id)
    )
    assert invites.all() == []
    notices = await connection.execute(
        sa.select(notification_history.c.user_id, notification_history.c.notification_type).where(
            notification_history.c.entity_id == row.id
        )
    )
    assert set(notices) == {(joiner.id, "challenge")}

    again = await client.post(f"{path}/cancel", json={}, headers=creator.headers)
    assert (again.status_code, again.json()["participants_affected"]) == (200, 0)
    await connection.execute(
        sa.update(challenges).where(challenges.c.id == row.id).values(status="completed")
    )
    finished = await client.post(f"{path}/cancel", json={}, headers=creator.headers)
    assert (finished.status_code, finished.json()["code"]) == (400, "challenge_finished")


async def test_leaving_takes_the_score_and_check_ins_along_and_the_creator_cannot_leave(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, joiner = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator, start_date=TODAY.isoformat())
    assert (await join(client, joiner, challenge["id"])).status_code == 200
    await connection.execute(
        sa.insert(challenge_check_ins).values(
            challenge_id=UUID(challenge["id"]), user_id=joiner.id, check_in_date=TODAY, points_awarded=10
        )
    )

    creator_leaves = await client.post(
        f"{CHALLENGES}/{challenge['id']}/leave", json={}, headers=creator.headers
    )
    assert (creator_leaves.status_code, creator_leaves.json()["code"]) == (400, "creator_cannot_leave")
    response = await client.post(f"{CHALLENGES}/{challenge['id']}/leave", json={}, headers=joiner.headers)
    assert response.status_code == 200, response.text

    assert (
        await members(connection, challenge["id"])
        == await scored(connection, challenge["id"])
        == {creator.id}
    )
    left = await connection.execute(
        sa.select(challenge_check_ins.c.id).where(challenge_check_ins.c.user_id == joiner.id)
    )
    assert left.all() == []
    again = await client.post(f"{CHALLENGES}/{challenge['id']}/leave", json={}, headers=joiner.headers)
    assert (again.status_code, again.json()["code"]) == (400, "not_a_participant")


async def test_the_partner_dashboard_lists_the_partners_active_challenges(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    partner, viewer = await make_user(plan="premium"), await make_user()
    await make_partners(client, partner, viewer)
    active = await create(client, partner, title="Active", is_public=False, start_date=TODAY.isoformat())
    await create(client, partner, title="Upcoming")
    active_id = UUID(active["id"])
    await connection.execute(
        sa.update(challenges).where(challenges.c.id == active_id).values(status="active")
    )
    await connection.execute(
        sa.update(challenge_leaderboard)
        .where(challenge_leaderboard.c.challenge_id == active_id)
        .values(points=20, checkin_count=2, last_check_in=TODAY)
    )

    response = await client.get(f"/api/v1/partners/{partner.id}/dashboard", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["challenges"] == [
        {
            "id": active["id"],
            "title": "Active",
            "status": "active",
            "progress": 2,
            "target_value": 7,
            "participants_count": 1,
            "logged_today": True,
        }
    ]
    assert body["total_active_challenges"] == 1
    assert body["logged_today"] is True
