"""Data export (docs/api.md, "Data export"): asked for over HTTP, built by the exports.build function
against the test's database, mailed over real SMTP to the sink, and downloaded from the mailed link."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import (
    achievement_types,
    check_ins,
    data_export_chunks,
    data_exports,
    device_tokens,
    notification_history,
    user_achievements,
)
from sandbox.smtp.testing import SinkHandle
from services.export_links import signature
from settings import Settings
from tests.support.mail import latest_text, send_queued_mail
from tests.support.rows import insert_goal_row
from tests.support.savepoint_database import SavepointDatabase
from tests.support.social_rows import insert_nudge, insert_partnership
from tests.support.users import ApiUser, create_user
from workers.exports import build as build_module
from workers.exports.build import BuildOutcome, build_export
from workers.exports.tidy import DELETE_AFTER, MAX_ATTEMPTS, STUCK_AFTER, tidy_exports

REQUEST = "/api/v1/data-export/request"
STATUS = "/api/v1/data-export/status/"
DOWNLOAD = "/api/v1/data-export/download/"
LINK = re.compile(r"here: (\S+)")


async def request_export(client: httpx.AsyncClient, user: ApiUser) -> UUID:
    response = await client.post(REQUEST, json={}, headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"]
    return UUID(body["export_id"])


async def add_check_ins(connection: AsyncConnection, user_id: UUID, goal_id: UUID, days: int) -> None:
    first = date(2026, 1, 1)
    await connection.execute(
        sa.insert(check_ins),
        [
            {
                "user_id": user_id,
                "goal_id": goal_id,
                "check_in_date": first + timedelta(days=n),
                "status": "completed",
            }
            for n in range(days)
        ],
    )


async def add_notifications(connection: AsyncConnection, user_id: UUID, count: int) -> None:
    await connection.execute(
        sa.insert(notification_history),
        [
            {"user_id": user_id, "notification_type": "reminder", "title": f"Reminder {n}", "body": "Go"}
            for n in range(count)
        ],
    )


def signed_path(settings: Settings, export_id: UUID, expires: int) -> str:
    signed = signature(settings.jwt_secret, export_id, expires)
    return f"{DOWNLOAD}{export_id}?expires={expires}&signature={signed}"


def mailed_path(sink: SinkHandle, recipient: str) -> str:
    match = LINK.search(latest_text(sink, recipient))
    assert match, "the mail carries no download link"
    link = urlsplit(match.group(1))
    return f"{link.path}?{link.query}"


async def build(database: SavepointDatabase, settings: Settings, export_id: UUID) -> BuildOutcome:
    return await build_export(database, settings, export_id, now=datetime.now(UTC))


async def test_an_export_is_built_mailed_and_downloaded_with_the_users_own_rows_only(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    smtp_sink: SinkHandle,
) -> None:
    # Given a user with a goal, check-ins, a notification and a device, and another user with a goal
    owner = await create_user(connection, app, password_hash="$argon2id$not-for-export")
    goal_id = await insert_goal_row(connection, owner.id, title="Owner's run")
    await add_check_ins(connection, owner.id, goal_id, 3)
    await add_notifications(connection, owner.id, 1)
    await connection.execute(
        sa.insert(device_tokens).values(
            user_id=owner.id,
            fcm_token="ExponentPushToken[secret-push-token]",
            device_type="ios",
            device_id="device-1",
            app_version="1.0.0",
            os_version="18",
        )
    )
    stranger = await create_user(connection, app)
    await insert_goal_row(connection, stranger.id, title="Stranger's swim")
    # When the owner asks for an export, it is pending until built
    export_id = await request_export(client, owner)
    pending = (await client.get(f"{STATUS}{export_id}", headers=owner.headers)).json()
    assert pending["status"] == "pending"
    assert pending["download_url"] is None
    assert await build(database, settings, export_id) == BuildOutcome.BUILT
    # Then its status is completed with a link, and the link is mailed
    status = (await client.get(f"{STATUS}{export_id}", headers=owner.headers)).json()
    assert status["status"] == "completed"
    assert status["completed_at"]
    assert status["expires_at"]
    assert await send_queued_mail(database, settings, smtp_sink) == 1
    path = mailed_path(smtp_sink, owner.email)
    assert status["download_url"].endswith(path)
    # And the link downloads (without a token) the owner's data and nobody else's
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    document = json.loads(response.content)
    assert document["export_metadata"]["export_id"] == str(export_id)
    assert document["profile"]["id"] == str(owner.id)
    assert [goal["title"] for goal in document["goals"]] == ["Owner's run"]
    assert len(document["check_ins"]) == 3
    assert len(document["notifications"]) == 1
    assert [device["device_id"] for device in document["devices"]] == ["device-1"]
    assert "Stranger" not in response.text
    # And no secret leaves: no password hash, no token version, no push token
    assert "password_hash" not in document["profile"]
    assert "token_version" not in document["profile"]
    assert "argon2id" not in response.text
    assert "secret-push-token" not in response.text


async def test_a_second_request_the_same_local_day_is_refused_with_429(
    client: httpx.AsyncClient, app: Litestar, connection: AsyncConnection
) -> None:
    user = await create_user(connection, app, timezone="Pacific/Auckland")
    await request_export(client, user)
    response = await client.post(REQUEST, json={}, headers=user.headers)
    assert response.status_code == 429
    assert response.json() == {
        "detail": "You can only request one data export per day. Please try again tomorrow.",
        "code": "daily_limit_reached",
    }
    count = await connection.scalar(
        sa.select(sa.func.count()).select_from(data_exports).where(data_exports.c.user_id == user.id)
    )
    assert count == 1


async def test_the_one_per_day_rule_is_the_databases(connection: AsyncConnection, app: Litestar) -> None:
    user = await create_user(connection, app)
    row = {"user_id": user.id, "requested_on": date(2026, 12, 5)}
    await connection.execute(sa.insert(data_exports).values(row))
    with pytest.raises(sa.exc.IntegrityError):
        async with connection.begin_nested():
            await connection.execute(sa.insert(data_exports).values(row))


async def test_another_users_export_status_is_not_found(
    client: httpx.AsyncClient, app: Litestar, connection: AsyncConnection
) -> None:
    owner = await create_user(connection, app)
    other = await create_user(connection, app)
    export_id = await request_export(client, owner)
    response = await client.get(f"{STATUS}{export_id}", headers=other.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    unknown = await client.get(f"{STATUS}{uuid4()}", headers=owner.headers)
    assert unknown.status_code == 404
    assert unknown.json()["detail"]


@pytest.mark.parametrize("body", [{"format": "csv"}, [], "x"])
async def test_a_request_with_a_bad_body_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, app: Litestar, connection: AsyncConnection, body: Any
) -> None:
    user = await create_user(connection, app)
    response = await client.post(REQUEST, json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    count = await connection.scalar(
        sa.select(sa.func.count()).select_from(data_exports).where(data_exports.c.user_id == user.id)
    )
    assert count == 0


async def test_requests_and_status_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.post(REQUEST, json={})).status_code == 401
    assert (await client.get(f"{STATUS}{uuid4()}")).status_code == 401


async def built_export(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
) -> UUID:
    user = await create_user(connection, app)
    export_id = await request_export(client, user)
    assert await build(database, settings, export_id) == BuildOutcome.BUILT
    return export_id


async def test_a_tampered_link_is_refused_with_403(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
) -> None:
    export_id = await built_export(client, app, connection, database, settings)
    other_id = await built_export(client, app, connection, database, settings)
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    good = signature(settings.jwt_secret, export_id, expires)
    attempts = [
        f"{DOWNLOAD}{export_id}?expires={expires}&signature={'0' * 64}",
        f"{DOWNLOAD}{export_id}?expires={expires + 86400}&signature={good}",  # extended
        f"{DOWNLOAD}{other_id}?expires={expires}&signature={good}",  # retargeted
        f"{DOWNLOAD}{export_id}?expires={expires}&signature=F%C3%97",  # not ASCII (found by the fuzzer)
    ]
    for path in attempts:
        response = await client.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "invalid_signature"


async def test_an_expired_link_is_refused_with_410(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
) -> None:
    export_id = await built_export(client, app, connection, database, settings)
    expires = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    response = await client.get(signed_path(settings, export_id, expires))
    assert response.status_code == 410
    assert response.json() == {"detail": "This download link has expired.", "code": "gone"}


@pytest.mark.parametrize("query", ["", "?expires=soon&signature=abc", f"?expires=1&signature={'a' * 65}"])
async def test_a_malformed_link_is_refused_with_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"{DOWNLOAD}{uuid4()}{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_a_build_reads_in_batches_and_exports_every_row(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given batches of 2 rows and chunks of ~200 characters, and a user with 7 check-ins, 5 notifications
    monkeypatch.setattr(build_module, "BATCH_ROWS", 2)
    monkeypatch.setattr(build_module, "CHUNK_CHARS", 200)
    user = await create_user(connection, app)
    goal_id = await insert_goal_row(connection, user.id)
    await add_check_ins(connection, user.id, goal_id, 7)
    await add_notifications(connection, user.id, 5)
    export_id = await request_export(client, user)
    # When it is built
    assert await build(database, settings, export_id) == BuildOutcome.BUILT
    # Then the document is stored in many chunks and holds every row exactly once
    chunks = await connection.scalar(
        sa.select(sa.func.count())
        .select_from(data_export_chunks)
        .where(data_export_chunks.c.export_id == export_id)
    )
    assert chunks is not None
    assert chunks > 5
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    response = await client.get(signed_path(settings, export_id, expires))
    assert response.status_code == 200, response.text
    document = json.loads(response.content)
    assert sorted(row["check_in_date"] for row in document["check_ins"]) == [
        str(date(2026, 1, 1) + timedelta(days=n)) for n in range(7)
    ]
    assert len({row["id"] for row in document["notifications"]}) == 5


async def test_a_build_after_a_crash_starts_from_scratch_and_runs_once(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
) -> None:
    # Given a pending export with a stray chunk, as an interrupted build could leave
    user = await create_user(connection, app)
    export_id = await request_export(client, user)
    await connection.execute(sa.insert(data_export_chunks).values(export_id=export_id, seq=0, body='{"half'))
    # When it is built, then built again (a redelivered message)
    assert await build(database, settings, export_id) == BuildOutcome.BUILT
    assert await build(database, settings, export_id) == BuildOutcome.SKIPPED
    # Then the stored document is whole, valid JSON
    bodies = await connection.scalars(
        sa.select(data_export_chunks.c.body)
        .where(data_export_chunks.c.export_id == export_id)
        .order_by(data_export_chunks.c.seq)
    )
    assert json.loads("".join(bodies))["profile"]["id"] == str(user.id)


async def test_tidy_retries_stuck_builds_fails_exhausted_ones_and_deletes_old_exports(
    app: Litestar, connection: AsyncConnection, database: SavepointDatabase
) -> None:
    now = datetime.now(UTC)
    user = await create_user(connection, app)
    stale = now - STUCK_AFTER - timedelta(minutes=1)

    async def export(day: int, **values: Any) -> UUID:
        row = {"user_id": user.id, "requested_on": date(2026, 1, day), **values}
        export_id: UUID = await connection.scalar(
            sa.insert(data_exports).values(row).returning(data_exports.c.id)
        )
        return export_id

    lost = await export(1, created_at=stale, updated_at=stale, attempts=1)
    exhausted = await export(2, created_at=stale, updated_at=stale, attempts=MAX_ATTEMPTS)
    fresh = await export(3, created_at=now, updated_at=now)
    old = await export(4, created_at=now - DELETE_AFTER - timedelta(hours=1), status="failed")

    report = await tidy_exports(database, now=now)

    assert (report.enqueued, report.failed, report.deleted) == (1, 1, 1)
    rows = dict((await connection.execute(sa.select(data_exports.c.id, data_exports.c.status))).all())
    assert rows[lost] == "pending"
    assert rows[exhausted] == "failed"
    assert rows[fresh] == "pending"
    assert old not in rows
    # And the retried export is not enqueued again by the next run
    assert (await tidy_exports(database, now=now + timedelta(minutes=1))).enqueued == 0


async def test_the_status_of_an_export_whose_link_expired_carries_no_link(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
) -> None:
    user = await create_user(connection, app)
    export_id = await request_export(client, user)
    assert await build(database, settings, export_id) == BuildOutcome.BUILT
    past = datetime.now(UTC) - timedelta(seconds=1)
    await connection.execute(
        sa.update(data_exports).where(data_exports.c.id == export_id).values(expires_at=past)
    )
    status = (await client.get(f"{STATUS}{export_id}", headers=user.headers)).json()
    assert status["status"] == "completed"
    assert status["download_url"] is None
    assert status["expires_at"] is None


async def test_the_export_holds_partnerships_on_either_side_nudges_sent_and_received_and_badges(
    client: httpx.AsyncClient,
    app: Litestar,
    connection: AsyncConnection,
    database: SavepointDatabase,
    settings: Settings,
) -> None:
    # Given an owner with a partnership they asked for, one they were asked into, a nudge each way,
    # a badge, and strangers with a partnership and a nudge of their own
    owner = await create_user(connection, app)
    friend, asker = await create_user(connection, app), await create_user(connection, app)
    sent_to_friend = await insert_partnership(connection, owner.id, friend.id, status="accepted")
    from_asker = await insert_partnership(connection, asker.id, owner.id)
    sent_nudge = await insert_nudge(connection, sent_to_friend, owner.id, friend.id, nudge_type="nudge")
    received_nudge = await insert_nudge(connection, sent_to_friend, friend.id, owner.id)
    stranger, other = await create_user(connection, app), await create_user(connection, app)
    strangers = await insert_partnership(connection, stranger.id, other.id, status="accepted")
    await insert_nudge(connection, strangers, stranger.id, other.id)
    badge_type = (
        await connection.execute(
            sa.insert(achievement_types)
            .values(
                badge_key=f"test_{uuid4().hex[:8]}",
                badge_name="First Ally",
                badge_description="Made a partner",
                badge_icon="handshake",
                unlock_condition={"type": "partner_count", "value": 1},
                category="social",
                rarity="common",
                points=20,
                sort_order=9999,
            )
            .returning(achievement_types.c.id)
        )
    ).scalar_one()
    await connection.execute(
        sa.insert(user_achievements).values(user_id=owner.id, achievement_type_id=badge_type)
    )
    # When the owner's export is built and downloaded
    export_id = await request_export(client, owner)
    assert await build(database, settings, export_id) == BuildOutcome.BUILT
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    document = json.loads((await client.get(signed_path(settings, export_id, expires))).content)
    # Then both partnerships are there, the strangers' is not
    assert {row["id"] for row in document["accountability_partners"]} == {
        str(sent_to_friend),
        str(from_asker),
    }
    # And the nudges are split into sent and received
    assert [row["id"] for row in document["social_nudges"]["sent"]] == [str(sent_nudge)]
    assert [row["id"] for row in document["social_nudges"]["received"]] == [str(received_nudge)]
    # And the badge carries its type's fields
    (badge,) = document["achievements"]
    assert badge["achievement_type_id"] == str(badge_type)
    assert (badge["badge_name"], badge["rarity"], badge["points"], badge["category"]) == (
        "First Ally",
        "common",
        20,
        "social",
    )
