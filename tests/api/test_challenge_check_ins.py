"""POST /challenges/{id}/check-in and the check-in rows (§3.6 Check-in, Edit own check-in): participants
only, while active, on their own local today within the challenge's dates, once a day; points by type,
written with the leaderboard row; edits and deletes of one's own check-in while active."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import achievement_types, challenge_check_ins, challenge_leaderboard, user_achievements
from tests.api.auth_support import MakeUser
from tests.api.challenge_scores_support import leaderboard_row, running_challenge
from tests.support.users import ApiUser

NOON_UTC = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
TODAY = date(2024, 6, 12)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON_UTC)


async def check_in(
    client: httpx.AsyncClient, user: ApiUser, challenge_id: UUID, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/challenges/{challenge_id}/check-in", json=body, headers=user.headers)


def check_in_path(challenge_id: UUID, check_in_id: str) -> str:
    return f"/api/v1/challenges/{challenge_id}/check-ins/{check_in_id}"


# --- Checking in -----------------------------------------------------------------------------------------


async def test_a_participant_checks_in_for_their_local_today_and_scores_with_the_leaderboard_row(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a streak challenge, a creator ahead on points and a participant in Auckland (already the 13th)
    creator = await make_user()
    member = await make_user(timezone="Pacific/Auckland")
    challenge_id = await running_challenge(connection, creator.id, [member.id], points=[20, 0])

    # When the participant checks in with a mood, notes and a photo, the client sending its own date
    response = await check_in(
        client,
        member,
        challenge_id,
        mood="great",
        notes=" ran 5k ",
        photo_url="https://x/p.jpg",
        check_in_date="2020-01-01",
    )

    # Then the row is dated the participant's local today, +10 points, rank derived after the change
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["check_in_date"] == "2024-06-13"
    assert (body["mood"], body["notes"], body["photo_url"]) == ("great", "ran 5k", "https://x/p.jpg")
    assert (body["points_earned"], body["new_total_points"], body["new_rank"]) == (10, 10, 2)
    assert body["completed"] is body["is_checked_in"] is True
    row = await leaderboard_row(connection, challenge_id, member.id)
    assert (row.points, row.checkin_count, row.last_check_in) == (10, 1, date(2024, 6, 13))


async def test_a_check_in_count_challenge_gives_five_points_and_ties_share_the_rank(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, member = await make_user(), await make_user()
    challenge_id = await running_challenge(
        connection, creator.id, [member.id], points=[5, 0], challenge_type="checkin_count", target_checkins=10
    )

    response = await check_in(client, member, challenge_id)

    assert response.status_code == 201, response.text
    assert (response.json()["points_earned"], response.json()["new_rank"]) == (5, 1)


async def test_a_second_check_in_the_same_day_is_refused_and_scores_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)
    assert (await check_in(client, creator, challenge_id)).status_code == 201

    again = await check_in(client, creator, challenge_id, notes="again")

    assert again.status_code == 400
    assert again.json()["code"] == "already_checked_in"
    row = await leaderboard_row(connection, challenge_id, creator.id)
    assert (row.points, row.checkin_count) == (10, 1)


async def test_someone_who_has_not_joined_a_public_challenge_gets_403(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, outsider = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id)

    response = await check_in(client, outsider, challenge_id)

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_participant"


async def test_a_private_challenge_is_404_to_an_outsider(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, outsider = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id, is_public=False)

    response = await check_in(client, outsider, challenge_id)

    assert response.status_code == 404
    assert response.json()["code"] == "challenge_not_found"


@pytest.mark.parametrize("status", ["upcoming", "completed", "cancelled"])
async def test_only_an_active_challenge_takes_check_ins(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, status: str
) -> None:
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id, status=status)

    response = await check_in(client, creator, challenge_id)

    assert response.status_code == 400
    assert response.json()["code"] == "challenge_not_active"


@pytest.mark.parametrize(
    ("timezone", "start_date", "days", "code"),
    [
        # Los Angeles is still on the 12th while the challenge starts on the 13th
        ("America/Los_Angeles", date(2024, 6, 13), 10, "challenge_not_started"),
        # Auckland is already on the 13th, past a challenge that ended on the 12th
        ("Pacific/Auckland", date(2024, 6, 3), 10, "challenge_ended"),
    ],
)
async def test_the_participants_local_today_must_lie_within_the_challenge(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    timezone: str,
    start_date: date,
    days: int,
    code: str,
) -> None:
    creator = await make_user()
    member = await make_user(timezone=timezone)
    challenge_id = await running_challenge(
        connection, creator.id, [member.id], start_date=start_date, duration_days=days
    )

    response = await check_in(client, member, challenge_id)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert (await leaderboard_row(connection, challenge_id, member.id)).points == 0


@pytest.mark.parametrize("body", [{"mood": "tough"}, {"notes": "x" * 1001}, {"unknown": 1}, {"mood": 3}])
async def test_bad_input_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: dict[str, Any]
) -> None:
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)

    response = await check_in(client, creator, challenge_id, **body)

    assert response.status_code == 422, response.text


async def test_a_check_in_evaluates_badges_with_the_challenge_as_source(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a participant of one challenge (challenge_count = memberships = 1)
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)

    # When they check in
    assert (await check_in(client, creator, challenge_id)).status_code == 201

    # Then "Challenger" is unlocked, and the unlock names the challenge check-in as its trigger
    metadata = await connection.scalar(
        sa.select(user_achievements.c.metadata)
        .join(achievement_types, achievement_types.c.id == user_achievements.c.achievement_type_id)
        .where(user_achievements.c.user_id == creator.id, achievement_types.c.badge_key == "first_challenge")
    )
    assert metadata is not None
    assert (metadata["source_type"], metadata["source_id"]) == ("challenge", str(challenge_id))


# --- Editing and deleting one's own check-in ----------------------------------------------------------------


async def test_edit_changes_notes_mood_and_photo_and_leaves_out_fields_alone(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)
    made = (await check_in(client, creator, challenge_id, notes="first", mood="okay")).json()

    response = await client.put(
        check_in_path(challenge_id, made["id"]),
        json={"mood": "great", "photo_url": "https://x/y.png"},
        headers=creator.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["notes"], body["mood"], body["photo_url"]) == ("first", "great", "https://x/y.png")
    cleared = await client.put(
        check_in_path(challenge_id, made["id"]), json={"notes": None}, headers=creator.headers
    )
    assert cleared.json()["notes"] is None


async def test_delete_takes_its_points_off_never_below_zero_and_recomputes_the_last_check_in(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given today's check-in (+10) and an older one, and points lowered meanwhile to 4
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)
    made = (await check_in(client, creator, challenge_id)).json()
    await connection.execute(
        sa.insert(challenge_check_ins).values(
            challenge_id=challenge_id, user_id=creator.id, check_in_date=date(2024, 6, 10), points_awarded=10
        )
    )
    await connection.execute(
        sa.update(challenge_leaderboard)
        .where(challenge_leaderboard.c.user_id == creator.id)
        .values(points=4, checkin_count=2)
    )

    # When today's is deleted
    response = await client.delete(check_in_path(challenge_id, made["id"]), headers=creator.headers)

    # Then the points stop at 0, one check-in remains, and the last check-in is the older one
    assert response.status_code == 200, response.text
    assert response.json() == {
        "message": "Check-in deleted.",
        "check_in_id": made["id"],
        "points_deducted": 10,
        "remaining_check_ins": 1,
    }
    row = await leaderboard_row(connection, challenge_id, creator.id)
    assert (row.points, row.checkin_count, row.last_check_in) == (0, 1, date(2024, 6, 10))
    gone = await client.delete(check_in_path(challenge_id, made["id"]), headers=creator.headers)
    assert gone.status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_edit_and_delete_only_while_the_challenge_is_active(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, method: str
) -> None:
    creator = await make_user()
    challenge_id = await running_challenge(connection, creator.id)
    made = (await check_in(client, creator, challenge_id)).json()
    await connection.execute(
        sa.text("UPDATE challenges SET status = 'completed' WHERE id = :id"), {"id": challenge_id}
    )

    response = await client.request(
        method,
        check_in_path(challenge_id, made["id"]),
        json={"notes": "late"} if method == "PUT" else None,
        headers=creator.headers,
    )

    assert response.status_code == 400
    assert response.json()["code"] == "challenge_not_active"
    assert (await leaderboard_row(connection, challenge_id, creator.id)).points == 10


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_another_participants_check_in_is_not_found_and_unchanged(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, method: str
) -> None:
    creator, member = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id, [member.id])
    made = (await check_in(client, creator, challenge_id, notes="mine")).json()

    response = await client.request(
        method,
        check_in_path(challenge_id, made["id"]),
        json={"notes": "yours"} if method == "PUT" else None,
        headers=member.headers,
    )

    assert response.status_code == 404
    assert response.json()["code"] == "challenge_check_in_not_found"
    row = await leaderboard_row(connection, challenge_id, creator.id)
    assert (row.points, row.checkin_count) == (10, 1)


# --- Lists ------------------------------------------------------------------------------------------------


async def test_my_check_ins_are_mine_newest_first_and_page_by_cursor(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, member = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id, [member.id])
    await connection.execute(
        sa.insert(challenge_check_ins),
        [
            {
                "challenge_id": challenge_id,
                "user_id": user,
                "check_in_date": date(2024, 6, day),
                "points_awarded": 10,
            }
            for user in (creator.id, member.id)
            for day in (3, 4, 5)
        ],
    )
    path = f"/api/v1/challenges/{challenge_id}/my-check-ins"

    first = await client.get(path, params={"limit": 2}, headers=member.headers)
    rest = await client.get(
        path, params={"limit": 2, "cursor": first.headers["X-Next-Cursor"]}, headers=member.headers
    )

    dates = [row["check_in_date"] for row in first.json() + rest.json()]
    assert dates == ["2024-06-05", "2024-06-04", "2024-06-03"]
    assert {row["user_id"] for row in first.json() + rest.json()} == {str(member.id)}
    assert "X-Next-Cursor" not in rest.headers


async def test_everyones_check_ins_show_notes_mood_and_photo_only_on_the_callers_own(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, member = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id, [member.id])
    for user in (creator, member):
        assert (await check_in(client, user, challenge_id, notes="private", mood="bad")).status_code == 201

    response = await client.get(f"/api/v1/challenges/{challenge_id}/check-ins", headers=member.headers)

    shown = {row["user_id"]: (row["notes"], row["mood"], row["user"]["id"]) for row in response.json()}
    assert shown == {
        str(member.id): ("private", "bad", str(member.id)),
        str(creator.id): (None, None, str(creator.id)),
    }


@pytest.mark.parametrize("route", ["my-check-ins", "check-ins"])
async def test_check_in_lists_of_a_private_challenge_are_404_to_outsiders(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, route: str
) -> None:
    creator, outsider = await make_user(), await make_user()
    challenge_id = await running_challenge(connection, creator.id, is_public=False)

    response = await client.get(f"/api/v1/challenges/{challenge_id}/{route}", headers=outsider.headers)

    assert response.status_code == 404
