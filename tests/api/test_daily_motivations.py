"""/daily-motivations (docs client-behaviour §5) without a model: today's row is the style's template,
stored once per local date; the list, one row, sharing (owner only) and premium's regenerate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import daily_motivations
from domain.daily_motivation import (
    BACKGROUND_COLORS,
    REGENERATIONS_PER_DAY,
    BackgroundStyle,
    MotivationSubject,
    template_motivation,
)
from tests.api.auth_support import MakeUser
from tests.support.users import ApiUser

MOTIVATIONS = "/api/v1/daily-motivations"
# 11:00 UTC: already 01:00 on 13 June at UTC+14, still 00:00 on 12 June at UTC-11.
NOW = datetime(2024, 6, 12, 11, 0, tzinfo=UTC)

SHAPE = {
    "id",
    "user_id",
    "message",
    "background_style",
    "background_colors",
    "date",
    "generated_at",
    "share_count",
    "created_at",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def today(client: AsyncClient, user: ApiUser) -> dict[str, Any]:
    response = await client.get(f"{MOTIVATIONS}/today", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored_rows(connection: AsyncConnection, user_id: UUID) -> list[Any]:
    result = await connection.execute(
        sa.select(daily_motivations)
        .where(daily_motivations.c.user_id == user_id)
        .order_by(daily_motivations.c.date)
    )
    return list(result)


async def insert_motivation(
    connection: AsyncConnection, user_id: UUID, day: date, *, style: str = "gradient_ocean", **columns: Any
) -> UUID:
    values = {
        "user_id": user_id,
        "date": day,
        "message": f"Motivation of {day}",
        "background_style": style,
        "background_colors": list(BACKGROUND_COLORS[BackgroundStyle(style)]),
        "generated_at": NOW,
        **columns,
    }
    statement = sa.insert(daily_motivations).values(values).returning(daily_motivations.c.id)
    motivation_id: UUID = (await connection.execute(statement)).scalar_one()
    return motivation_id


# --- Today ----------------------------------------------------------------------------------------------


async def test_today_is_the_template_in_the_users_tone_stored_once_with_its_gradient(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a tough-love user and no model
    user = await make_user(name="Grace Hopper", motivation_style="tough_love")

    # When they open today's motivation twice
    first = await today(client, user)
    second = await today(client, user)

    # Then it is the client's DailyMotivation shape, the tough-love line addressed to Grace
    assert set(first) == SHAPE
    assert first["user_id"] == str(user.id)
    assert first["message"] == template_motivation(MotivationSubject("Grace Hopper", "tough_love", (), 0))
    assert first["message"].startswith("Grace, ")
    assert first["background_colors"] == list(BACKGROUND_COLORS[BackgroundStyle(first["background_style"])])
    assert (first["date"], first["share_count"]) == ("2024-06-12", 0)
    # And it was stored: the second open is the same row, and there is one row
    assert second == first
    assert len(await stored_rows(connection, user.id)) == 1


@pytest.mark.parametrize(
    ("zone", "local_date"), [("Pacific/Kiritimati", "2024-06-13"), ("Pacific/Pago_Pago", "2024-06-12")]
)
async def test_today_is_the_users_local_date(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, zone: str, local_date: str
) -> None:
    # Given a user whose calendar date differs from UTC's at 11:00 UTC (or barely agrees)
    user = await make_user(timezone=zone)

    # When they open today's motivation
    body = await today(client, user)

    # Then it is dated by their own calendar
    assert body["date"] == local_date
    [row] = await stored_rows(connection, user.id)
    assert row.date.isoformat() == local_date


async def test_a_row_written_before_is_served_as_it_is(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given today's row, written by the morning job and shared since
    user = await make_user()
    todays_id = await insert_motivation(connection, user.id, date(2024, 6, 12), share_count=3)

    # When the user opens today's motivation
    body = await today(client, user)

    # Then that row is served untouched
    assert (body["id"], body["message"], body["share_count"]) == (
        str(todays_id),
        "Motivation of 2024-06-12",
        3,
    )
    assert body["background_colors"] == list(BACKGROUND_COLORS[BackgroundStyle.GRADIENT_OCEAN])


async def test_writing_todays_row_deletes_the_users_earlier_rows_only(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given rows of earlier days of the user, and another user's
    user, other = await make_user(), await make_user()
    for day in (10, 11):
        await insert_motivation(connection, user.id, date(2024, 6, day))
    await insert_motivation(connection, other.id, date(2024, 6, 11))

    # When the user's row of today is written
    await today(client, user)

    # Then only today's row of theirs is left, and the other user's row stays
    assert [row.date for row in await stored_rows(connection, user.id)] == [date(2024, 6, 12)]
    assert [row.date for row in await stored_rows(connection, other.id)] == [date(2024, 6, 11)]


async def test_a_user_without_a_name_is_called_there(client: AsyncClient, make_user: MakeUser) -> None:
    user = await make_user(name=" ", motivation_style="calm")

    body = await today(client, user)

    assert body["message"].startswith("there, ")


# --- List and one row -----------------------------------------------------------------------------------


async def test_the_list_is_a_bare_array_newest_first_paged_by_limit_and_offset(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given three rows of the caller (kept from before the one-row rule) and one of another user
    user, other = await make_user(), await make_user()
    ids = [await insert_motivation(connection, user.id, date(2024, 6, day)) for day in (9, 10, 11)]
    await insert_motivation(connection, other.id, date(2024, 6, 12))

    # When the caller reads two pages of two
    pages = []
    for offset in (0, 2):
        response = await client.get(MOTIVATIONS, params={"limit": 2, "offset": offset}, headers=user.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())

    # Then the rows come newest first, only the caller's, in the DailyMotivation shape
    assert [[item["id"] for item in page] for page in pages] == [[str(ids[2]), str(ids[1])], [str(ids[0])]]
    assert all(set(item) == SHAPE for page in pages for item in page)


async def test_the_list_defaults_to_thirty_and_refuses_a_limit_past_the_bound(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user()
    await insert_motivation(connection, user.id, date(2024, 6, 12))

    listed = await client.get(MOTIVATIONS, headers=user.headers)
    too_many = await client.get(MOTIVATIONS, params={"limit": 101}, headers=user.headers)

    assert listed.status_code == 200
    assert len(listed.json()) == 1
    assert too_many.status_code == 422


async def test_one_row_by_id_and_an_unknown_id_is_404(client: AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    body = await today(client, user)

    found = await client.get(f"{MOTIVATIONS}/{body['id']}", headers=user.headers)
    missing = await client.get(f"{MOTIVATIONS}/{uuid4()}", headers=user.headers)

    assert (found.status_code, found.json()) == (200, body)
    assert (missing.status_code, missing.json()["code"]) == (404, "daily_motivation_not_found")


# --- Share ----------------------------------------------------------------------------------------------


async def test_share_counts_each_share_of_the_owners_row(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given the user's motivation
    user = await make_user()
    body = await today(client, user)

    # When they share it twice
    responses = [
        await client.post(f"{MOTIVATIONS}/{body['id']}/share", json={}, headers=user.headers)
        for _ in range(2)
    ]

    # Then each answers 200 with the stored count
    assert [(response.status_code, response.json()) for response in responses] == [
        (200, {"share_count": 1}),
        (200, {"share_count": 2}),
    ]
    [row] = await stored_rows(connection, user.id)
    assert row.share_count == 2


# --- Regenerate -----------------------------------------------------------------------------------------


async def regenerate(client: AsyncClient, user: ApiUser) -> Any:
    return await client.post(f"{MOTIVATIONS}/regenerate", json={}, headers=user.headers)


async def test_a_free_user_cannot_regenerate_and_nothing_changes(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a free user's motivation of today
    user = await make_user()
    body = await today(client, user)

    # When they ask for a new one
    response = await regenerate(client, user)

    # Then the plan refuses it and the row is unchanged
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "unlimited_text_motivation_required"
    assert await today(client, user) == body


async def test_premium_regenerates_today_with_a_new_style_up_to_the_daily_cap(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium user's shared motivation of today
    user = await make_user(plan="premium", name="User")
    motivation_id = await insert_motivation(connection, user.id, date(2024, 6, 12), share_count=4)

    # When they regenerate it
    response = await regenerate(client, user)

    # Then today's row shows a new text in another style, its shares restarted, the same id kept
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SHAPE
    assert body["id"] == str(motivation_id)
    assert body["background_style"] != "gradient_ocean"
    assert body["background_colors"] == list(BACKGROUND_COLORS[BackgroundStyle(body["background_style"])])
    assert body["message"] == template_motivation(MotivationSubject("User", "supportive", (), 0))
    assert body["share_count"] == 0
    assert await today(client, user) == body

    # And once the day's regenerations are used up, the next one is refused and changes nothing
    await connection.execute(
        sa.update(daily_motivations)
        .where(daily_motivations.c.id == motivation_id)
        .values(regenerations=REGENERATIONS_PER_DAY)
    )
    refused = await regenerate(client, user)
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "motivation_regenerate_limit"
    assert await today(client, user) == body


async def test_premium_regenerating_before_opening_today_writes_todays_row(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    user = await make_user(plan="premium")
    await insert_motivation(connection, user.id, date(2024, 6, 11))

    response = await regenerate(client, user)

    assert response.status_code == 200, response.text
    [row] = await stored_rows(connection, user.id)
    assert (row.date, row.regenerations, str(row.id)) == (date(2024, 6, 12), 1, response.json()["id"])


async def test_the_features_show_regenerate_to_premium_only(client: AsyncClient, make_user: MakeUser) -> None:
    free, premium = await make_user(), await make_user(plan="premium")

    shown = []
    for user in (free, premium):
        response = await client.get("/api/v1/subscriptions/features", headers=user.headers)
        assert response.status_code == 200, response.text
        shown.append(response.json()["features"]["unlimited_text_motivation"])

    assert shown == [False, True]


async def test_today_after_midnight_local_is_a_new_row(
    client: AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    user = await make_user(timezone="Asia/Tokyo")
    first = await today(client, user)

    clock.instant += timedelta(hours=13)  # 20:00 → 09:00 the next day in Tokyo
    second = await today(client, user)

    assert (first["date"], second["date"]) == ("2024-06-12", "2024-06-13")
    assert [row.date for row in await stored_rows(connection, user.id)] == [date(2024, 6, 13)]
