"""PUT, activate / deactivate / archive and DELETE /goals/{id}: the schedule lock, the plan cap on
status changes, and today's pending row and reminder slots following every change."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import check_ins, goals, notification_history
from tests.api import test_goals
from tests.api.auth_support import MakeUser
from tests.api.test_goals import (
    GOALS,
    add_checkin,
    pending_rows,
    post_goal,
    set_goal,
    slot_times,
    utc,
)
from tests.support.users import ApiUser

# The fixed-clock API of test_goals.py (pytest finds fixtures among a module's attributes).
api = test_goals.api
clock = test_goals.clock

TODAY = date(2024, 6, 12)


async def stored(connection: AsyncConnection, goal_id: str) -> Any:
    result = await connection.execute(
        sa.select(goals.c.title, goals.c.status, goals.c.target_days).where(goals.c.id == UUID(goal_id))
    )
    return result.one()


async def action(api: httpx.AsyncClient, user: ApiUser, goal: dict[str, Any], verb: str) -> httpx.Response:
    return await api.post(f"{GOALS}/{goal['id']}/{verb}", headers=user.headers)


async def add_goal_row(connection: AsyncConnection, user: ApiUser, status: str) -> str:
    """A goal written directly (e.g. left over from a premium period), bypassing the API's cap."""
    result = await connection.execute(
        sa.insert(goals)
        .values(user_id=user.id, title=f"{status} goal", frequency_type="daily", status=status)
        .returning(goals.c.id)
    )
    return str(result.scalar_one())


# --- PUT ------------------------------------------------------------------------------------------


async def test_put_changes_fields_and_moves_slots_and_todays_due_instants_with_the_reminder_times(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user's goal reminded at 18:00
    user = await make_user(plan="premium")
    goal = await post_goal(api, user, why_statement="health")
    # When title, reason and reminder times change
    response = await api.put(
        f"{GOALS}/{goal['id']}",
        json={"title": " Run 10k ", "why_statement": None, "reminder_times": ["19:00", "07:00"]},
        headers=user.headers,
    )
    # Then the goal shows them, the slots follow, and today's row asks after the new last reminder
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["title"], updated["why_statement"], updated["reminder_times"]) == (
        "Run 10k",
        None,
        ["07:00", "19:00"],
    )
    assert await slot_times(connection, goal["id"]) == {
        "07:00": utc("2024-06-13T07:00"),
        "19:00": utc("2024-06-12T19:00"),
    }
    assert await pending_rows(connection, goal["id"]) == [
        (TODAY, "pending", utc("2024-06-12T19:30"), utc("2024-06-12T21:30"))
    ]


async def test_schedule_is_locked_after_the_first_completion_but_other_fields_are_not(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a weekly goal with one completion
    user = await make_user()
    goal = await post_goal(api, user, frequency_type="weekly", target_days=[1, 3])
    await set_goal(connection, goal["id"], total_completions=1)
    # When its days change, or it becomes daily
    new_days = await api.put(f"{GOALS}/{goal['id']}", json={"target_days": [2, 4]}, headers=user.headers)
    to_daily = await api.put(f"{GOALS}/{goal['id']}", json={"frequency_type": "daily"}, headers=user.headers)
    # Then both are refused with a hint to archive and start a new goal, and nothing changed
    for refused in (new_days, to_daily):
        assert (refused.status_code, refused.json()["code"]) == (400, "schedule_locked")
        assert "archive" in refused.json()["detail"].lower()
    assert (await stored(connection, goal["id"])).target_days == [1, 3]
    # When the same schedule is sent again along with a new title, it is accepted
    same = await api.put(
        f"{GOALS}/{goal['id']}",
        json={"title": "Gym", "frequency_type": "weekly", "frequency_count": 2, "target_days": [3, 1]},
        headers=user.headers,
    )
    assert same.status_code == 200, same.text
    assert (await stored(connection, goal["id"])).title == "Gym"


async def test_schedule_change_before_any_completion_moves_todays_row_and_slots(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a daily goal, due today (Wednesday)
    user = await make_user()
    goal = await post_goal(api, user)
    # When it becomes a Monday/Friday goal
    response = await api.put(
        f"{GOALS}/{goal['id']}",
        json={"frequency_type": "weekly", "target_days": [5, 1]},
        headers=user.headers,
    )
    # Then today's pending row is gone and the slot waits for Friday
    assert response.status_code == 200, response.text
    assert (response.json()["frequency_count"], response.json()["is_scheduled_today"]) == (2, False)
    assert await pending_rows(connection, goal["id"]) == []
    assert await slot_times(connection, goal["id"]) == {"18:00": utc("2024-06-14T18:00")}


async def test_put_with_bad_values_is_refused_and_writes_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    goal = await post_goal(api, user)
    cases = [
        ({"title": "  "}, 400),
        ({"reminder_times": ["07:00", "19:00"]}, 403),  # free plan: one time
        ({"reminder_times": ["7pm"]}, 422),
        ({"status": "deleted"}, 422),
        ({"title": "Ok", "mood": "good"}, 422),
        ({"frequency_type": "weekly", "target_days": [9]}, 400),
    ]
    for body, status in cases:
        response = await api.put(f"{GOALS}/{goal['id']}", json=body, headers=user.headers)
        assert response.status_code == status, (body, response.text)
    assert (await stored(connection, goal["id"])).title == "Run"


# --- Status changes -------------------------------------------------------------------------------


async def test_deactivate_and_archive_drop_todays_pending_row_and_slots_and_activate_restores_them(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal with today's pending row and its slot
    user = await make_user()
    goal = await post_goal(api, user)
    # When it is paused
    paused = await action(api, user, goal, "deactivate")
    # Then the answer says so, and the row and the slot are gone
    assert paused.status_code == 200
    assert (paused.json()["message"], paused.json()["goal"]["status"]) == ("Goal paused.", "paused")
    assert await pending_rows(connection, goal["id"]) == []
    assert await slot_times(connection, goal["id"]) == {}
    # When it is activated again, both come back; activating twice changes nothing
    activated = await action(api, user, goal, "activate")
    assert (activated.json()["message"], activated.json()["goal"]["status"]) == ("Goal activated.", "active")
    assert [row.status for row in await pending_rows(connection, goal["id"])] == ["pending"]
    assert await slot_times(connection, goal["id"]) == {"18:00": utc("2024-06-12T18:00")}
    again = await action(api, user, goal, "activate")
    assert (again.status_code, again.json()["message"]) == (200, "Goal is already active.")
    # When it is archived, they go again
    archived = await action(api, user, goal, "archive")
    assert (archived.json()["message"], archived.json()["goal"]["status"]) == ("Goal archived.", "archived")
    assert await pending_rows(connection, goal["id"]) == []
    assert await slot_times(connection, goal["id"]) == {}


async def test_pausing_keeps_a_row_already_answered_today(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal answered today
    user = await make_user()
    goal = await post_goal(api, user)
    await connection.execute(
        sa.update(check_ins).where(check_ins.c.goal_id == UUID(goal["id"])).values(status="completed")
    )
    # When it is paused
    await action(api, user, goal, "deactivate")
    # Then the answer stays (answers are never deleted)
    assert [row.status for row in await pending_rows(connection, goal["id"])] == ["completed"]


async def test_activation_respects_the_plan_cap_per_starting_status(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user (limit 2) left with two active goals, a paused one and an archived one
    user = await make_user()
    active = [await add_goal_row(connection, user, "active") for _ in range(2)]
    paused = {"id": await add_goal_row(connection, user, "paused")}
    archived = {"id": await add_goal_row(connection, user, "archived")}
    # When the paused and the archived goal are activated, or the archived one unarchived as paused
    refusals = [
        await action(api, user, paused, "activate"),  # active goals 2 ≥ 2
        await action(api, user, archived, "activate"),  # non-archived goals 3 ≥ 2
        await action(api, user, archived, "deactivate"),  # rejoins the cap as a paused goal
        await api.put(f"{GOALS}/{paused['id']}", json={"status": "active"}, headers=user.headers),
    ]
    # Then every one is refused by the plan and nothing changed
    assert [(response.status_code, response.json()["code"]) for response in refusals] == [
        (403, "goal_limit_reached")
    ] * 4
    assert (await stored(connection, paused["id"])).status == "paused"
    assert (await stored(connection, archived["id"])).status == "archived"
    # When one active goal is archived, the paused goal fits among the active ones again
    await api.post(f"{GOALS}/{active[0]}/archive", headers=user.headers)
    assert (await action(api, user, paused, "activate")).status_code == 200
    # And the archived one still does not (two non-archived goals remain)
    assert (await action(api, user, archived, "activate")).status_code == 403


async def test_put_status_follows_the_same_rules_as_the_action_routes(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given an active goal
    user = await make_user()
    goal = await post_goal(api, user)
    # When PUT pauses it together with a new title
    response = await api.put(
        f"{GOALS}/{goal['id']}", json={"status": "paused", "title": "Later"}, headers=user.headers
    )
    # Then it is paused, renamed, and lost its row and slot as with /deactivate
    assert (response.json()["status"], response.json()["title"]) == ("paused", "Later")
    assert await pending_rows(connection, goal["id"]) == []
    assert await slot_times(connection, goal["id"]) == {}


async def test_a_refused_status_change_leaves_the_other_fields_of_the_request_unwritten(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user at the cap of active goals, and a paused goal
    user = await make_user()
    for _ in range(2):
        await add_goal_row(connection, user, "active")
    paused = await add_goal_row(connection, user, "paused")
    # When one PUT renames the paused goal and activates it
    response = await api.put(
        f"{GOALS}/{paused}", json={"title": "Renamed", "status": "active"}, headers=user.headers
    )
    # Then the whole request is refused: no half-written rename
    assert response.status_code == 403
    assert (await stored(connection, paused)).title == "paused goal"


# --- DELETE ---------------------------------------------------------------------------------------


async def test_delete_removes_the_goal_its_rows_slots_and_the_inbox_rows_about_them(
    api: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a goal with check-ins, inbox rows about it and one of its check-ins, and another goal's
    user = await make_user(plan="premium")
    goal = await post_goal(api, user)
    other = await post_goal(api, user, title="Other")
    await add_checkin(connection, user, goal["id"], date(2024, 6, 11), "completed")
    checkin_id = (
        await connection.execute(
            sa.select(check_ins.c.id).where(check_ins.c.goal_id == UUID(goal["id"])).limit(1)
        )
    ).scalar_one()
    for entity_type, entity_id in [("goal", goal["id"]), ("checkin", str(checkin_id)), ("goal", other["id"])]:
        await connection.execute(
            sa.insert(notification_history).values(
                user_id=user.id,
                notification_type="streak_milestone",
                title="t",
                body="b",
                entity_type=entity_type,
                entity_id=UUID(entity_id),
            )
        )
    # When the goal is deleted
    response = await api.delete(f"{GOALS}/{goal['id']}", headers=user.headers)
    # Then it is gone with its rows, slots and inbox rows; the other goal's inbox row stays
    assert (response.status_code, response.json()) == (200, {"message": "Goal deleted."})
    assert (await api.get(f"{GOALS}/{goal['id']}", headers=user.headers)).status_code == 404
    assert await pending_rows(connection, goal["id"]) == []
    assert await slot_times(connection, goal["id"]) == {}
    inbox = await connection.execute(
        sa.select(notification_history.c.entity_id).where(notification_history.c.entity_type != "achievement")
    )
    assert inbox.scalars().all() == [UUID(other["id"])]
