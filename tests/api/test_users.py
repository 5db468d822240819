"""/users: the caller's profile (User shape, edits and their due instants), deletion, token scoping and
the throttled last_active_at bump."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.clock import FixedClock
from api.resources import app_resources
from db.tables import (
    check_ins,
    device_tokens,
    goals,
    metadata,
    notification_history,
    refresh_tokens,
    reminder_slots,
    subscriptions,
    user_identities,
    users,
)
from domain.schedule import next_morning_motivation_at, next_reminder_fire_at
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.client import api_client
from tests.support.users import ApiUser, create_user

USER_FIELDS = {
    "id", "email", "auth_provider", "email_verified", "username", "name", "profile_picture_url", "bio",
    "timezone", "language", "country", "status", "role", "motivation_style", "morning_motivation_enabled",
    "morning_motivation_time", "plan", "referral_code", "onboarding_completed_at", "created_at", "updated_at",
    "last_login_at", "linked_providers", "has_password",
}  # fmt: skip


async def user_row(connection: AsyncConnection, user_id: UUID) -> sa.Row[Any]:
    return (await connection.execute(sa.select(users).where(users.c.id == user_id))).one()


async def settled_row(client: httpx.AsyncClient, connection: AsyncConnection, user: ApiUser) -> sa.Row[Any]:
    """The user's row once a first request has stamped last_active_at (which later ones leave alone)."""
    await client.get("/api/v1/users/profile", headers=user.headers)
    return await user_row(connection, user.id)


async def put_profile(client: httpx.AsyncClient, user: ApiUser, **fields: Any) -> httpx.Response:
    return await client.put("/api/v1/users/profile", json=fields, headers=user.headers)


async def test_profile_shows_the_user_shape(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a user who signed up with Google (and so has a linked Google identity)
    user = await make_user(auth_provider="google", country="NZ", morning_motivation_time=time(7, 5))
    await connection.execute(
        sa.insert(user_identities).values(user_id=user.id, provider="google", subject="google-sub-1")
    )
    # When they read their profile (with or without a trailing slash)
    response = await client.get("/api/v1/users/profile", headers=user.headers)
    slashed = await client.get("/api/v1/users/profile/", headers=user.headers)
    # Then every field of §5's User is there, in its API form
    assert response.status_code == slashed.status_code == 200
    profile = response.json()
    assert set(profile) == USER_FIELDS
    assert profile["id"] == str(user.id)
    assert profile["morning_motivation_time"] == "07:05"
    assert profile["linked_providers"] == ["google"]
    assert profile["has_password"] is False
    assert profile["plan"] == "free"


@pytest.mark.parametrize(
    ("status", "plan"), [("active", "premium"), ("grace_period", "premium"), ("expired", "free")]
)
async def test_profile_plan_is_the_effective_plan(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, status: str, plan: str
) -> None:
    # Given a user whose subscription row is in some status
    user = await make_user()
    await connection.execute(sa.insert(subscriptions).values(user_id=user.id, plan="premium", status=status))
    # When they read their profile / Then the plan follows §3.8
    assert (await client.get("/api/v1/users/profile", headers=user.headers)).json()["plan"] == plan


async def test_profile_edits_are_stored_in_their_normal_form(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user
    user = await make_user(bio="old bio")
    before = (await user_row(connection, user.id)).updated_at
    # When they change several fields at once
    response = await put_profile(
        client,
        user,
        name="  Grace Hopper ",
        username="Amazing_Grace",
        bio=None,
        language="pt-BR",
        country="br",
        profile_picture_url="https://cdn.example.com/g.png",
        motivation_style="tough_love",
        morning_motivation_time="06:45:59",
    )
    # Then the answer is the updated User, normalised (trimmed name, upper-case country, HH:MM)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert (profile["name"], profile["username"], profile["bio"]) == ("Grace Hopper", "Amazing_Grace", None)
    assert (profile["language"], profile["country"]) == ("pt-BR", "BR")
    assert profile["motivation_style"] == "tough_love"
    assert profile["morning_motivation_time"] == "06:45"
    row = await user_row(connection, user.id)
    assert row.morning_motivation_time == time(6, 45)
    assert row.updated_at >= before


@pytest.mark.parametrize(
    "picture", ["avatar_1", "avatar_3", "avatar_19", "avatar_48", "https://cdn.example.com/a.png"]
)
async def test_the_picture_is_a_built_in_avatar_or_an_https_url(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, picture: str
) -> None:
    # Given a user / When they pick one of the app's avatars, or an https image
    user = await make_user()
    response = await put_profile(client, user, profile_picture_url=picture)
    # Then it is stored verbatim and shown back
    assert response.status_code == 200, response.text
    assert response.json()["profile_picture_url"] == picture
    assert (await user_row(connection, user.id)).profile_picture_url == picture


async def test_an_empty_edit_changes_nothing(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user / When they send an empty edit / Then the profile comes back unchanged
    user = await make_user()
    before = await settled_row(client, connection, user)
    response = await put_profile(client, user)
    assert response.status_code == 200
    assert await user_row(connection, user.id) == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"timezone": "Atlantis/Capital"}, "invalid_timezone"),
        ({"timezone": "europe/london"}, "invalid_timezone"),
        ({"morning_motivation_time": "25:00"}, "invalid_time"),
        ({"morning_motivation_time": "8am"}, "invalid_time"),
        ({"morning_motivation_time": "0" * 9}, "validation_error"),
        ({"name": "   "}, "name_blank"),
        ({"name": None}, "validation_error"),
        ({"name": "n" * 101}, "validation_error"),
        ({"bio": "b" * 501}, "validation_error"),
        ({"username": "x"}, "validation_error"),
        ({"country": "FRA"}, "validation_error"),
        ({"language": "english!"}, "validation_error"),
        ({"profile_picture_url": "javascript:alert(1)"}, "validation_error"),
        ({"profile_picture_url": "http://example.com/me.png"}, "validation_error"),
        ({"profile_picture_url": "avatar_0"}, "validation_error"),
        ({"profile_picture_url": "avatar_49"}, "validation_error"),
        ({"profile_picture_url": "avatar_07"}, "validation_error"),
        ({"profile_picture_url": "avatar_3 "}, "validation_error"),
        ({"profile_picture_url": "https://"}, "validation_error"),
        ({"motivation_style": "drill_sergeant"}, "validation_error"),
        ({"morning_motivation_enabled": "sometimes"}, "validation_error"),
        ({"email": "new@example.com"}, "validation_error"),
        ({"plan": "premium"}, "validation_error"),
    ],
)
async def test_profile_edits_refuse_malformed_or_unknown_fields_with_422(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    make_user: MakeUser,
    fields: dict[str, Any],
    code: str,
) -> None:
    # Given a user
    user = await make_user()
    before = await settled_row(client, connection, user)
    # When they send a malformed or non-editable field
    response = await put_profile(client, user, **fields)
    # Then it is a 422 and nothing changed
    assert response.status_code == 422, fields
    assert response.json()["code"] == code
    assert await user_row(connection, user.id) == before


async def test_a_username_taken_in_any_case_is_400_but_keeping_ones_own_is_fine(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given two users
    await make_user(username="famous")
    user = await make_user(username="me_myself")
    # When one takes the other's username in another case, and then re-sends their own in another case
    taken = await put_profile(client, user, username="FAMOUS")
    own = await put_profile(client, user, username="Me_Myself")
    # Then the first is 400 username_taken, the second succeeds
    assert taken.status_code == 400
    assert taken.json()["code"] == "username_taken"
    assert own.status_code == 200


async def test_concurrent_claims_of_one_username_never_fail_with_500(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given two committed users (real transactions, so the race is real)
    app = create_app(settings, database=committed_database)
    async with committed_database.engine.begin() as connection:
        first, second = [await create_user(connection, app) for _ in range(2)]
    async with api_client(app) as client:
        # When both claim the same free username at the same moment
        responses = await asyncio.gather(
            put_profile(client, first, username="contested"),
            put_profile(client, second, username="CONTESTED"),
        )
    # Then one gets it and the other a 400 (checked) or 409 (lost the race at the unique index)
    statuses = sorted(response.status_code for response in responses)
    assert statuses in ([200, 400], [200, 409])


async def test_a_timezone_change_moves_the_morning_instant_and_the_reminder_slots(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given an onboarded user in UTC with an 08:00 morning notice and a daily goal reminding at 18:00
    user = await make_user()
    goal_id = (
        await connection.execute(
            sa.insert(goals)
            .values(user_id=user.id, title="Run", frequency_type="daily", reminder_times=["18:00"])
            .returning(goals.c.id)
        )
    ).scalar_one()
    before = datetime.now(UTC)
    # When they move to Tokyo
    response = await put_profile(client, user, timezone="Asia/Tokyo")
    after = datetime.now(UTC)
    # Then the morning instant is the next 08:00 in Tokyo
    assert response.status_code == 200
    due = (await user_row(connection, user.id)).next_morning_motivation_at
    assert due in {next_morning_motivation_at("08:00", "Asia/Tokyo", instant) for instant in (before, after)}
    # And the goal's slot fires at the next 18:00 Tokyo time
    slot = (
        await connection.execute(sa.select(reminder_slots).where(reminder_slots.c.goal_id == goal_id))
    ).one()
    assert slot.next_fire_at in {
        next_reminder_fire_at("18:00", "Asia/Tokyo", instant, lambda _day: True)
        for instant in (before, after)
    }


async def test_morning_settings_switch_the_morning_instant_off_and_on(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given an onboarded user
    user = await make_user(timezone="America/New_York")
    # When they turn the morning notice off
    await put_profile(client, user, morning_motivation_enabled=False)
    # Then nothing is due
    assert (await user_row(connection, user.id)).next_morning_motivation_at is None
    # When they turn it back on at 09:30
    before = datetime.now(UTC)
    await put_profile(client, user, morning_motivation_enabled=True, morning_motivation_time="09:30")
    after = datetime.now(UTC)
    # Then the next 09:30 New York time is due
    due = (await user_row(connection, user.id)).next_morning_motivation_at
    assert due in {
        next_morning_motivation_at("09:30", "America/New_York", instant) for instant in (before, after)
    }


async def test_a_user_who_has_not_onboarded_gets_no_morning_instant(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user who has not finished onboarding / When they edit their morning time
    user = await make_user(onboarding_completed_at=None)
    await put_profile(client, user, morning_motivation_time="07:00")
    # Then no morning notice is due (the contract: NULL until onboarded)
    assert (await user_row(connection, user.id)).next_morning_motivation_at is None


async def test_tokens_are_scoped_to_their_own_user(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given users A and B
    alice = await make_user(name="Alice")
    bob = await make_user(name="Bob")
    alice_before = await user_row(connection, alice.id)
    # When B reads and edits "the profile", and tries paths naming A's id
    read = await client.get("/api/v1/users/profile", headers=bob.headers)
    edit = await put_profile(client, bob, name="Mallory", bio="pwned")
    by_id = await client.get(f"/api/v1/users/profile/{alice.id}", headers=bob.headers)
    delete_by_id = await client.delete(f"/api/v1/users/{alice.id}", headers=bob.headers)
    # Then B only ever sees and changes B; A is untouched and not addressable
    assert read.json()["id"] == str(bob.id)
    assert edit.json()["id"] == str(bob.id)
    assert by_id.status_code == 404
    assert delete_by_id.status_code in (404, 405)
    alice_after = await user_row(connection, alice.id)
    assert (alice_after.name, alice_after.bio, alice_after.updated_at) == (
        alice_before.name,
        alice_before.bio,
        alice_before.updated_at,
    )
    # And without a token there is nothing to read
    assert (await client.get("/api/v1/users/profile")).status_code == 401


def tables_owned_by_users() -> list[sa.Table]:
    return [table for table in metadata.sorted_tables if "user_id" in table.c]


async def rows_owned(connection: AsyncConnection, user_id: UUID) -> dict[str, int]:
    """Rows per table holding this user_id, counted in one statement."""
    statement = sa.union_all(
        *(
            sa.select(sa.literal(table.name).label("table_name"), sa.func.count().label("row_count"))
            .select_from(table)
            .where(table.c.user_id == user_id)
            for table in tables_owned_by_users()
        )
    )
    return {row.table_name: row.row_count for row in (await connection.execute(statement)).all()}


async def give_rows(connection: AsyncConnection, user_id: UUID, tag: str) -> None:
    goal_id = (
        await connection.execute(
            sa.insert(goals)
            .values(user_id=user_id, title="Read", frequency_type="daily")
            .returning(goals.c.id)
        )
    ).scalar_one()
    await connection.execute(
        sa.insert(check_ins).values(user_id=user_id, goal_id=goal_id, check_in_date=date.today())
    )
    await connection.execute(
        sa.insert(reminder_slots).values(
            user_id=user_id, goal_id=goal_id, reminder_time="18:00", next_fire_at=datetime.now(UTC)
        )
    )
    await connection.execute(
        sa.insert(device_tokens).values(
            user_id=user_id,
            fcm_token=f"ExponentPushToken[{tag}]",
            device_type="ios",
            device_id=tag,
            app_version="1.0",
            os_version="17",
        )
    )
    await connection.execute(
        sa.insert(notification_history).values(
            user_id=user_id, notification_type="general", title="t", body="b"
        )
    )
    await connection.execute(
        sa.insert(refresh_tokens).values(
            user_id=user_id,
            token_family=tag.ljust(32, "0"),
            token_id="1" * 32,
            token_hash="h" * 64,
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    await connection.execute(sa.insert(subscriptions).values(user_id=user_id, status="active"))


async def test_delete_removes_the_account_and_everything_it_owns(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user with goals, check-ins, slots, devices, notifications, tokens and a subscription,
    # a user they referred, and a bystander with the same kinds of rows
    user = await make_user()
    referred = await make_user(referred_by_user_id=None)
    await connection.execute(
        sa.update(users).where(users.c.id == referred.id).values(referred_by_user_id=user.id)
    )
    bystander = await make_user()
    await give_rows(connection, user.id, "a")
    await give_rows(connection, bystander.id, "b")
    bystander_rows = await rows_owned(connection, bystander.id)
    # When the user deletes their account
    response = await client.delete("/api/v1/users/delete", headers=user.headers)
    # Then it is gone with every row it owned, the referral link is cleared, and the bystander keeps all
    assert response.status_code == 200
    assert "message" in response.json()
    assert await connection.scalar(sa.select(sa.func.count()).where(users.c.id == user.id)) == 0
    assert set((await rows_owned(connection, user.id)).values()) == {0}
    assert (await user_row(connection, referred.id)).referred_by_user_id is None
    assert await rows_owned(connection, bystander.id) == bystander_rows
    # And its still-valid access token no longer opens anything of it
    assert (await client.get("/api/v1/users/profile", headers=user.headers)).status_code == 401
    assert (await client.delete("/api/v1/users/delete", headers=user.headers)).status_code == 401


async def test_activity_is_stamped_at_most_once_per_interval(
    app: Litestar, client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user who was last active long ago
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    user = await make_user(last_active_at=long_ago)
    activity = app_resources(app).activity
    # When they make a request, and the web process's writer has run
    await client.get("/api/v1/users/profile", headers=user.headers)
    await activity.flush()
    # Then last_active_at moves to now
    stamped = (await user_row(connection, user.id)).last_active_at
    assert stamped > long_ago
    # When they make more requests within the interval (even with the stored value rewound)
    await connection.execute(sa.update(users).where(users.c.id == user.id).values(last_active_at=long_ago))
    for _ in range(3):
        await client.get("/api/v1/users/profile", headers=user.headers)
    await activity.flush()
    # Then no request wrote again
    assert (await user_row(connection, user.id)).last_active_at == long_ago


async def test_activity_is_written_behind_the_request_and_at_shutdown(
    settings: Settings, database: Any, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user who was last active long ago
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    user = await make_user(last_active_at=long_ago)
    async with api_client(create_app(settings, database=database)) as web_process:
        # When they make a request, the response does not wait for the stamp
        assert (await web_process.get("/api/v1/users/profile", headers=user.headers)).status_code == 200
        assert (await user_row(connection, user.id)).last_active_at == long_ago
    # Then the process writes it when it stops, if its writer has not already
    assert (await user_row(connection, user.id)).last_active_at > long_ago


async def test_another_web_process_does_not_stamp_again_within_the_interval(
    settings: Settings, database: Any, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a user stamped by one web process
    user = await make_user(last_active_at=datetime(2020, 1, 1, tzinfo=UTC))
    async with api_client(create_app(settings, database=database)) as first_process:
        await first_process.get("/api/v1/users/profile", headers=user.headers)
    stamped = (await user_row(connection, user.id)).last_active_at
    # When a second process, with no memory of that user, serves them within the interval
    async with api_client(create_app(settings, database=database)) as second_process:
        response = await second_process.get("/api/v1/users/profile", headers=user.headers)
    # Then the stored stamp is what decides: no second write
    assert response.status_code == 200
    assert (await user_row(connection, user.id)).last_active_at == stamped


async def test_a_timezone_change_moves_todays_pending_row_to_the_new_local_date(
    settings: Settings, database: Any, connection: AsyncConnection, make_user: MakeUser
) -> None:
    # Given a UTC user at 20:00 UTC on 25 Nov with a daily goal and today's pending row
    now = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    user = await make_user()
    goal_id = (
        await connection.execute(
            sa.insert(goals)
            .values(user_id=user.id, title="Run", frequency_type="daily", reminder_times=["18:00"])
            .returning(goals.c.id)
        )
    ).scalar_one()
    await connection.execute(
        sa.insert(check_ins).values(user_id=user.id, goal_id=goal_id, check_in_date=date(2026, 11, 25))
    )
    app = create_app(settings, database=database, clock=FixedClock(now))
    # When they move to Auckland, where it is already 26 Nov (09:00)
    async with api_client(app) as client:
        response = await put_profile(client, user, timezone="Pacific/Auckland")
    assert response.status_code == 200
    # Then the old day's row stays pending for the missed job and the new local today has its own row,
    # with a prompt due 30 minutes after 18:00 Auckland time
    rows = (
        await connection.execute(
            sa.select(check_ins.c.check_in_date, check_ins.c.status, check_ins.c.prompt_due_at)
            .where(check_ins.c.goal_id == goal_id)
            .order_by(check_ins.c.check_in_date)
        )
    ).all()
    assert [(row.check_in_date, row.status) for row in rows] == [
        (date(2026, 11, 25), "pending"),
        (date(2026, 11, 26), "pending"),
    ]
    assert rows[1].prompt_due_at == datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
