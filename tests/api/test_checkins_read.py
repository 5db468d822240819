"""GET /check-ins and friends, and PUT /check-ins/{id}: pages, local "today", stats, streaks, calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.checkins import recompute_goal_streaks
from tests.api.auth_support import MakeUser
from tests.api.checkins_support import (
    CHECK_INS,
    answer,
    at_local,
    insert_checkin,
    rows_of_goal,
)
from tests.support.rows import insert_goal_row as insert_goal

WEDNESDAY = date(2024, 6, 12)
NOON_UTC = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON_UTC)


def days_back(count: int) -> list[date]:
    return [WEDNESDAY - timedelta(days=offset) for offset in range(count)]


# --- GET /check-ins ---------------------------------------------------------------------------------------


async def test_list_pages_newest_first_with_a_cursor_header(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given five days of rows
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    for day in days_back(5):
        await insert_checkin(connection, user.id, goal_id, day, "completed")

    # When the list is read two at a time, following X-Next-Cursor
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(CHECK_INS, params=params, headers=user.headers)
        assert response.status_code == 200
        seen += [row["check_in_date"] for row in response.json()]
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break

    # Then every row comes once, newest local date first, and the last page has no cursor
    assert seen == [day.isoformat() for day in days_back(5)]
    assert pages == 3


async def test_list_honours_offset_and_page_only_without_a_cursor(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given five days of rows
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    for day in days_back(5):
        await insert_checkin(connection, user.id, goal_id, day, "completed")
    first_page = await client.get(CHECK_INS, params={"limit": 2}, headers=user.headers)
    cursor = first_page.headers["X-Next-Cursor"]

    # When the older client pages by offset or page, and when a cursor comes with an offset
    by_offset = await client.get(CHECK_INS, params={"limit": 2, "offset": 3}, headers=user.headers)
    by_page = await client.get(CHECK_INS, params={"limit": 2, "page": 2}, headers=user.headers)
    cursor_wins = await client.get(
        CHECK_INS, params={"limit": 2, "offset": 4, "cursor": cursor}, headers=user.headers
    )

    # Then offset and page skip rows, but a cursor decides when present
    dates = days_back(5)
    assert [row["check_in_date"] for row in by_offset.json()] == [d.isoformat() for d in dates[3:5]]
    assert [row["check_in_date"] for row in by_page.json()] == [d.isoformat() for d in dates[2:4]]
    assert [row["check_in_date"] for row in cursor_wins.json()] == [d.isoformat() for d in dates[2:4]]


async def test_list_filters_by_goal_dates_and_pending(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given two goals: one with four days of answers and today pending, another with one row
    user = await make_user()
    goal_id, other_goal = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    await insert_checkin(connection, user.id, goal_id, WEDNESDAY)
    for day in days_back(5)[1:]:
        await insert_checkin(connection, user.id, goal_id, day, "completed")
    await insert_checkin(connection, user.id, other_goal, WEDNESDAY - timedelta(days=2), "skipped")

    # When the list is filtered
    response = await client.get(
        CHECK_INS,
        params={
            "goal_id": str(goal_id),
            "start_date": (WEDNESDAY - timedelta(days=3)).isoformat(),
            "end_date": WEDNESDAY.isoformat(),
            "exclude_pending": "true",
        },
        headers=user.headers,
    )

    # Then only that goal's answered rows within the dates come back
    assert response.status_code == 200
    assert [row["check_in_date"] for row in response.json()] == [
        (WEDNESDAY - timedelta(days=offset)).isoformat() for offset in (1, 2, 3)
    ]
    assert {row["goal_id"] for row in response.json()} == {str(goal_id)}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit below 1"),
        pytest.param({"limit": 101}, id="limit above 100"),
        pytest.param({"cursor": "not-a-cursor"}, id="bad cursor"),
        pytest.param({"goal_id": "nope"}, id="goal id not a uuid"),
        pytest.param({"start_date": "yesterday"}, id="bad date"),
        pytest.param({"offset": -1}, id="negative offset"),
    ],
)
async def test_list_refuses_malformed_parameters(
    client: AsyncClient, make_user: MakeUser, params: dict[str, str | int]
) -> None:
    user = await make_user()
    response = await client.get(CHECK_INS, params=params, headers=user.headers)
    assert response.status_code == 422, response.text
    assert set(response.json()) >= {"detail", "code"}


# --- GET /check-ins/today and /check-ins/goal/{id}/today -------------------------------------------------


async def test_today_lists_the_owners_local_today_with_pending_rows(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given an Auckland owner at 08:00 local on the 13th (still the 12th in UTC)
    user = await make_user(timezone="Pacific/Auckland")
    goal_id, other_goal = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    local_today = date(2024, 6, 13)
    clock.instant = at_local("Pacific/Auckland", local_today, time(8, 0))
    pending_id = await insert_checkin(connection, user.id, goal_id, local_today)
    answered_id = await insert_checkin(connection, user.id, other_goal, local_today, "completed")
    await insert_checkin(connection, user.id, goal_id, date(2024, 6, 12), "completed")

    # When today's rows are read
    response = await client.get(f"{CHECK_INS}/today", headers=user.headers)

    # Then both of the local 13th's rows come back, pending included, and not the UTC date's
    assert response.status_code == 200
    assert {row["id"] for row in response.json()} == {str(pending_id), str(answered_id)}


async def test_goal_today_counts_only_answered_rows_as_checked_in(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal with today's row still pending
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    await insert_checkin(connection, user.id, goal_id, WEDNESDAY)
    path = f"{CHECK_INS}/goal/{goal_id}/today"

    # When goal-today is read before and after answering
    before = (await client.get(path, headers=user.headers)).json()
    assert (await answer(client, user, goal_id)).status_code == 201
    after = (await client.get(path, headers=user.headers)).json()

    # Then pending is not checked in (and may be answered); the answer is checked in (and may not)
    assert before["date"] == WEDNESDAY.isoformat()
    assert (before["has_checked_in"], before["can_check_in"], before["is_scheduled_today"]) == (
        False,
        True,
        True,
    )
    assert before["check_in"]["status"] == "pending"
    assert (after["has_checked_in"], after["can_check_in"]) == (True, False)
    assert after["check_in"]["status"] == "completed"


async def test_goal_today_for_an_unscheduled_or_paused_goal_cannot_be_answered(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a Monday-only goal on a Wednesday, and a paused daily goal
    user = await make_user()
    weekly = await insert_goal(connection, user.id, target_days=[1])
    paused = await insert_goal(connection, user.id, status="paused")

    # When goal-today is read for both
    weekly_today = (await client.get(f"{CHECK_INS}/goal/{weekly}/today", headers=user.headers)).json()
    paused_today = (await client.get(f"{CHECK_INS}/goal/{paused}/today", headers=user.headers)).json()

    # Then neither can be answered; only the weekly one is off schedule
    assert (weekly_today["is_scheduled_today"], weekly_today["can_check_in"]) == (False, False)
    assert weekly_today["check_in"] is None
    assert (paused_today["is_scheduled_today"], paused_today["can_check_in"]) == (True, False)


# --- Stats and streaks -----------------------------------------------------------------------------------


async def test_stats_count_statuses_rates_and_local_windows(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given rows over 40 days: completed on day 0-4 (today is 0), skipped 5, missed 6, rest 10, completed 35
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    statuses = {0: "completed", 1: "completed", 2: "completed", 3: "completed", 4: "completed"}
    statuses |= {5: "skipped", 6: "missed", 10: "rest_day", 35: "completed"}
    for days_ago, status in statuses.items():
        await insert_checkin(connection, user.id, goal_id, WEDNESDAY - timedelta(days=days_ago), status)
    other_goal = await insert_goal(connection, user.id)
    await insert_checkin(connection, user.id, other_goal, WEDNESDAY)
    await recompute_goal_streaks(connection, [goal_id])

    # When the stats are read for the goal and for the user
    for_goal = (
        await client.get(f"{CHECK_INS}/stats", params={"goal_id": str(goal_id)}, headers=user.headers)
    ).json()
    for_user = (await client.get(f"{CHECK_INS}/stats", headers=user.headers)).json()

    # Then the totals, rate and windows (today included, 7 and 30 local days) are right
    assert for_goal["goal_id"] == str(goal_id)
    assert for_goal["total_checkins"] == 9
    assert (for_goal["completed_checkins"], for_goal["skipped_checkins"]) == (6, 1)
    assert (for_goal["missed_checkins"], for_goal["rest_day_checkins"], for_goal["pending_checkins"]) == (
        1,
        1,
        0,
    )
    assert for_goal["completion_rate"] == round(6 / 9 * 100, 1)
    assert (for_goal["checkins_last_7d"], for_goal["completed_last_7d"]) == (7, 5)
    assert (for_goal["checkins_last_30d"], for_goal["completed_last_30d"]) == (8, 5)
    assert (for_goal["current_streak"], for_goal["longest_streak"]) == (5, 5)
    assert for_user["goal_id"] is None
    assert (for_user["total_checkins"], for_user["pending_checkins"]) == (9, 1)
    assert for_user["current_streak"] == 5
    # And the names the app's CheckInStats type reads carry the same counts
    assert (for_goal["total_check_ins"], for_goal["completed_check_ins"]) == (9, 6)


async def test_user_streak_is_the_best_active_goal_and_ignores_paused_goals(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given active goals on streaks 2 (since Monday) and 4 (since the Saturday before), a paused goal on 9
    user = await make_user()
    short = await insert_goal(connection, user.id)
    long = await insert_goal(connection, user.id)
    paused = await insert_goal(connection, user.id, status="paused")
    for goal_id, length in ((short, 2), (long, 4), (paused, 9)):
        for day in days_back(length + 1)[1:]:
            await insert_checkin(connection, user.id, goal_id, day, "completed")
    await recompute_goal_streaks(connection, [short, long, paused])

    # When the streak is read for the user and for one goal
    mine = (await client.get(f"{CHECK_INS}/streak", headers=user.headers)).json()
    paused_goal = (
        await client.get(f"{CHECK_INS}/streak", params={"goal_id": str(paused)}, headers=user.headers)
    ).json()

    # Then the user streak is the longest active one, with its start and the latest answer
    assert mine == {
        "current_streak": 4,
        "longest_streak": 4,
        "last_check_in": (WEDNESDAY - timedelta(days=1)).isoformat(),
        "last_check_in_date": (WEDNESDAY - timedelta(days=1)).isoformat(),
        "streak_start": (WEDNESDAY - timedelta(days=4)).isoformat(),
    }
    assert (paused_goal["current_streak"], paused_goal["streak_start"]) == (
        9,
        (WEDNESDAY - timedelta(days=9)).isoformat(),
    )


# --- Calendar ----------------------------------------------------------------------------------------------


async def test_calendar_groups_a_month_by_the_owners_local_dates(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    # Given a Los Angeles owner who answers at 20:00 on January 31st (already February 1st in UTC)
    zone = "America/Los_Angeles"
    user = await make_user(timezone=zone)
    goal_id = await insert_goal(connection, user.id)
    clock.instant = at_local(zone, date(2024, 1, 31), time(20, 0))
    assert clock.instant.date() == date(2024, 2, 1)
    assert (await answer(client, user, goal_id)).status_code == 201
    # ... and who answers the next evening, on February 1st
    clock.instant = at_local(zone, date(2024, 2, 1), time(20, 0))
    assert (await answer(client, user, goal_id)).status_code == 201
    await insert_checkin(connection, user.id, goal_id, date(2024, 1, 1), "missed")

    # When January and February are read
    january = (
        await client.get(f"{CHECK_INS}/calendar", params={"year": 2024, "month": 1}, headers=user.headers)
    ).json()
    february = (
        await client.get(f"{CHECK_INS}/calendar", params={"year": 2024, "month": 2}, headers=user.headers)
    ).json()

    # Then each answer sits in its local month, under its local date
    assert (january["year"], january["month"]) == (2024, 1)
    assert sorted(january["days"]) == ["2024-01-01", "2024-01-31"]
    assert [row["status"] for row in january["days"]["2024-01-31"]] == ["completed"]
    assert sorted(february["days"]) == ["2024-02-01"]


@pytest.mark.parametrize(
    "params",
    [{"year": 2024, "month": 13}, {"year": 2024, "month": 0}, {"year": 1800, "month": 1}, {"year": 2024}],
)
async def test_calendar_refuses_impossible_months(
    client: AsyncClient, make_user: MakeUser, params: dict[str, int]
) -> None:
    user = await make_user()
    response = await client.get(f"{CHECK_INS}/calendar", params=params, headers=user.headers)
    assert response.status_code == 422


# --- GET and PUT /check-ins/{id} ----------------------------------------------------------------------------


async def test_get_one_checkin(client: AsyncClient, make_user: MakeUser, connection: AsyncConnection) -> None:
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    checkin_id = await insert_checkin(connection, user.id, goal_id, WEDNESDAY, "completed", mood="good")

    response = await client.get(f"{CHECK_INS}/{checkin_id}", headers=user.headers)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["goal_id"], body["user_id"]) == (str(checkin_id), str(goal_id), str(user.id))
    assert set(body) == {
        "id",
        "goal_id",
        "user_id",
        "check_in_date",
        "status",
        "mood",
        "skip_reason",
        "note",
        "voice_note_url",
        "voice_note_transcript",
        "ai_response",
        "created_at",
        "updated_at",
    }


async def test_edit_changes_mood_and_note_of_todays_answer_but_never_its_status(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given today's completed answer with a mood
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    checkin_id = (await answer(client, user, goal_id, mood="tough", note="hard")).json()["id"]

    # When the mood and note change, then the note is cleared
    changed = await client.put(
        f"{CHECK_INS}/{checkin_id}", json={"mood": "amazing", "notes": "easy"}, headers=user.headers
    )
    cleared = await client.put(f"{CHECK_INS}/{checkin_id}", json={"note": None}, headers=user.headers)
    status_change = await client.put(
        f"{CHECK_INS}/{checkin_id}", json={"status": "skipped"}, headers=user.headers
    )

    # Then each edit applies, fields left out stay, and a status is not even an accepted field
    assert changed.status_code == 200
    assert (changed.json()["mood"], changed.json()["note"]) == ("amazing", "easy")
    assert (cleared.json()["mood"], cleared.json()["note"]) == ("amazing", None)
    assert status_change.status_code == 422
    [row] = await rows_of_goal(connection, goal_id)
    assert row.status == "completed"


async def test_edit_takes_the_partial_create_body_the_app_sends_but_never_changes_the_answer(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given today's completed answer
    user = await make_user()
    goal_id, other_goal = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    checkin_id = (await answer(client, user, goal_id)).json()["id"]
    url = f"{CHECK_INS}/{checkin_id}"
    # When the app sends its partial create body (checkins.ts updateCheckIn) restating the answer
    restated = await client.put(
        url,
        json={
            "goal_id": str(goal_id),
            "check_in_date": "2024-06-12",
            "completed": True,
            "is_rest_day": False,
            "mood": "good",
            "notes": "fine",
        },
        headers=user.headers,
    )
    # Then the edit applies; a body that would change the answer or name another goal is refused
    assert restated.status_code == 200, restated.text
    assert (restated.json()["mood"], restated.json()["note"]) == ("good", "fine")
    changed = await client.put(url, json={"completed": False, "mood": "tough"}, headers=user.headers)
    rest_day = await client.put(url, json={"is_rest_day": True}, headers=user.headers)
    other = await client.put(url, json={"goal_id": str(other_goal), "mood": "tough"}, headers=user.headers)
    assert (changed.status_code, changed.json()["code"]) == (400, "checkin_answer_locked")
    assert (rest_day.status_code, rest_day.json()["code"]) == (400, "checkin_answer_locked")
    assert (other.status_code, other.json()["code"]) == (400, "checkin_goal_mismatch")
    [row] = await rows_of_goal(connection, goal_id)
    assert (row.status, row.mood) == ("completed", "good")


async def test_edit_skip_reason_only_on_a_skipped_answer(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given today's skipped answer on one goal and completed answer on another
    user = await make_user()
    skipped_goal, done_goal = await insert_goal(connection, user.id), await insert_goal(connection, user.id)
    skipped_id = (await answer(client, user, skipped_goal, completed=False, skip_reason="work")).json()["id"]
    done_id = (await answer(client, user, done_goal)).json()["id"]

    # When the skip reason is edited on both
    on_skipped = await client.put(
        f"{CHECK_INS}/{skipped_id}", json={"skip_reason": "sick"}, headers=user.headers
    )
    on_completed = await client.put(
        f"{CHECK_INS}/{done_id}", json={"skip_reason": "sick"}, headers=user.headers
    )

    # Then only the skipped row takes it
    assert on_skipped.status_code == 200
    assert on_skipped.json()["skip_reason"] == "sick"
    assert on_completed.status_code == 400
    assert on_completed.json()["code"] == "skip_reason_not_allowed"


async def test_edit_refuses_yesterdays_and_unanswered_rows(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given yesterday's answer and today's pending row
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    yesterday_id = await insert_checkin(
        connection, user.id, goal_id, WEDNESDAY - timedelta(days=1), "completed"
    )
    pending_id = await insert_checkin(connection, user.id, goal_id, WEDNESDAY)

    # When either is edited
    old = await client.put(f"{CHECK_INS}/{yesterday_id}", json={"mood": "good"}, headers=user.headers)
    pending = await client.put(f"{CHECK_INS}/{pending_id}", json={"mood": "good"}, headers=user.headers)

    # Then both are refused
    assert (old.status_code, old.json()["code"]) == (400, "checkin_not_today")
    assert (pending.status_code, pending.json()["code"]) == (400, "checkin_not_answered")


@pytest.mark.parametrize(
    "body",
    [
        {"mood": "meh"},
        {"note": "x" * 1001},
        {"skip_reason": "lazy"},
        {"check_in_date": "x" * 41},
        {"completed": "yes"},
        {"goal_id": "not-a-uuid"},
    ],
)
async def test_edit_refuses_malformed_bodies(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, body: dict[str, str]
) -> None:
    user = await make_user()
    goal_id = await insert_goal(connection, user.id)
    checkin_id = (await answer(client, user, goal_id)).json()["id"]

    response = await client.put(f"{CHECK_INS}/{checkin_id}", json=body, headers=user.headers)

    assert response.status_code == 422
