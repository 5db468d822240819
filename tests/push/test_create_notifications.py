"""db.notifications.create_notifications: inbox rows, delivery rows and the §3.10 gate, in SQL."""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.notifications import NotificationDraft, create_notifications
from db.tables import device_tokens, notification_history
from domain.notification_copy.content import NotificationContent
from domain.notification_gate import NotificationPreferences, gate_skip_reason
from domain.notification_types import NotificationType
from tests.push.support import (
    add_devices,
    deliveries_of,
    general_notice,
    inbox_rows,
    insert_users,
    set_preferences,
)

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
ZONES = ("UTC", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "Europe/London", "Pacific/Apia")


async def test_each_active_device_gets_one_delivery_row_and_inactive_ones_none(
    connection: AsyncConnection,
) -> None:
    # Given a user with two active devices and one deactivated device
    [user_id] = await insert_users(connection, 1)
    await add_devices(connection, [user_id, user_id])
    [dead] = await add_devices(connection, [user_id])
    await connection.execute(
        sa.update(device_tokens).where(device_tokens.c.fcm_token == dead).values(is_active=False)
    )

    # When a notice is created for them
    created = await create_notifications(connection, [NotificationDraft(user_id, general_notice())], now=NOW)

    # Then one pending inbox row and two pending delivery rows exist
    assert created.deliveries == 2
    [notification_id] = created.notification_ids
    assert (await inbox_rows(connection, [notification_id]))[notification_id].push_status == "pending"
    deliveries = await deliveries_of(connection, [notification_id])
    assert [row.status for row in deliveries] == ["pending", "pending"]


async def test_a_dedupe_key_seen_before_or_twice_in_one_call_writes_nothing_more(
    connection: AsyncConnection,
) -> None:
    # Given a user with a device and a notice already created under a dedupe key
    [user_id] = await insert_users(connection, 1)
    await add_devices(connection, [user_id])
    draft = NotificationDraft(user_id, general_notice(), dedupe_key=f"test:{uuid.uuid4()}")
    first = await create_notifications(connection, [draft], now=NOW)

    # When the same key comes again, twice in one call, next to a new key
    other = NotificationDraft(user_id, general_notice(), dedupe_key=f"test:{uuid.uuid4()}")
    second = await create_notifications(connection, [draft, draft, other, other], now=NOW)

    # Then only the new key produced an inbox row and a delivery
    assert len(first.notification_ids) == 1
    assert len(second.notification_ids) == 1
    assert second.deliveries == 1
    total = await connection.scalar(
        sa.select(sa.func.count()).where(notification_history.c.user_id == user_id)
    )
    assert total == 2


async def test_a_user_without_devices_keeps_the_inbox_row_skipped_for_no_device(
    connection: AsyncConnection,
) -> None:
    # Given a user without any device
    [user_id] = await insert_users(connection, 1)

    # When a notice is created
    created = await create_notifications(connection, [NotificationDraft(user_id, general_notice())], now=NOW)

    # Then the inbox row exists, skipped for no_device, with no delivery row
    [notification_id] = created.notification_ids
    row = (await inbox_rows(connection, [notification_id]))[notification_id]
    assert (row.push_status, row.skip_reason, created.deliveries) == ("skipped", "no_device", 0)


async def test_quiet_hours_wrap_past_midnight_in_the_users_zone_with_an_exclusive_end(
    connection: AsyncConnection,
) -> None:
    # Given an Auckland user (UTC+13 in March) with a device and quiet hours 22:00–08:00
    [user_id] = await insert_users(connection, 1, timezone="Pacific/Auckland")
    await add_devices(connection, [user_id])
    await set_preferences(connection, user_id, quiet_hours_enabled=True)
    auckland = ZoneInfo("Pacific/Auckland")

    async def skip_reason_at(local: datetime) -> str | None:
        draft = NotificationDraft(user_id, general_notice())
        created = await create_notifications(connection, [draft], now=local.replace(tzinfo=auckland))
        [notification_id] = created.notification_ids
        reason: str | None = (await inbox_rows(connection, [notification_id]))[notification_id].skip_reason
        return reason

    # When notices are produced at 23:30, 03:00, 07:59 and 08:00 local (12:00 UTC is 01:00 local)
    # Then the first three are inside the wrapped window; 08:00 is the exclusive end
    assert await skip_reason_at(datetime(2025, 3, 5, 23, 30)) == "quiet_hours"
    assert await skip_reason_at(datetime(2025, 3, 6, 3, 0)) == "quiet_hours"
    assert await skip_reason_at(datetime(2025, 3, 6, 7, 59)) == "quiet_hours"
    assert await skip_reason_at(datetime(2025, 3, 6, 8, 0)) is None


async def test_subscription_notices_ignore_switches_and_quiet_hours_but_not_the_push_channel(
    connection: AsyncConnection,
) -> None:
    # Given one user in quiet hours with every category off, and one with the push channel off
    in_quiet, push_off = await insert_users(connection, 2)
    await add_devices(connection, [in_quiet, push_off])
    await set_preferences(
        connection,
        in_quiet,
        quiet_hours_enabled=True,
        quiet_hours_start=time(0, 0),
        quiet_hours_end=time(23, 59),
        challenges=False,
    )
    await set_preferences(connection, push_off, push_notifications=False)
    billing = NotificationContent(
        NotificationType.SUBSCRIPTION,
        "Payment failed",
        "Update it",
        {"type": "billing_issue", "deepLink": "/"},
    )
    challenge = NotificationContent(
        NotificationType.CHALLENGE, "Cancelled", "Sorry", {"type": "challenge_cancelled", "deepLink": "/"}
    )

    # When a billing notice goes to both, and a challenge notice to the first
    created = await create_notifications(
        connection,
        [
            NotificationDraft(in_quiet, billing),
            NotificationDraft(push_off, billing),
            NotificationDraft(in_quiet, challenge),
        ],
        now=NOW,
    )

    # Then the billing notice is pushed to the first user only; the challenge notice is skipped
    rows = await inbox_rows(connection, created.notification_ids)
    outcomes = sorted((row.push_status, row.skip_reason) for row in rows.values())
    assert outcomes == [("pending", None), ("skipped", "category_off"), ("skipped", "push_off")]
    assert created.deliveries == 1


async def test_a_draft_for_an_unknown_user_writes_nothing(connection: AsyncConnection) -> None:
    created = await create_notifications(
        connection, [NotificationDraft(uuid.uuid4(), general_notice())], now=NOW
    )
    assert created.notification_ids == []
    assert created.deliveries == 0


def _random_preferences(rng: random.Random) -> NotificationPreferences | None:
    if rng.random() < 0.2:
        return None
    switches = {
        name: rng.random() < 0.8
        for name in (
            "enabled",
            "push_notifications",
            "ai_motivation",
            "reminders",
            "achievements",
            "weekly_recap",
            "reengagement",
            "partners",
            "challenges",
        )
    }
    hour_choices = [time(h, m) for h in range(24) for m in (0, 30)]
    return NotificationPreferences(
        **switches,
        quiet_hours_enabled=rng.random() < 0.7,
        quiet_hours_start=rng.choice(hour_choices),
        quiet_hours_end=rng.choice(hour_choices),
    )


async def test_the_sql_gate_agrees_with_the_domain_gate_on_random_preferences_and_instants(
    connection: AsyncConnection,
) -> None:
    # Given 400 users with random zones, a device each and random preferences (some without a row)
    rng = random.Random(20250305)
    zone_of = {}
    for zone in ZONES:
        for user_id in await insert_users(connection, 400 // len(ZONES), timezone=zone):
            zone_of[user_id] = zone
    user_ids = list(zone_of)
    await add_devices(connection, user_ids)
    preferences = {user_id: _random_preferences(rng) for user_id in user_ids}
    for user_id, prefs in preferences.items():
        if prefs is not None:
            await set_preferences(connection, user_id, **asdict(prefs))

    # When each gets a notice of a random type at 24 random instants on half-hour marks (so local
    # times often sit exactly on a quiet-hours bound)
    kinds = list(NotificationType)
    mismatches = []
    for _ in range(24):
        now = NOW + timedelta(minutes=30 * rng.randrange(0, 2 * 24 * 365))
        drafts = [
            NotificationDraft(
                user_id, NotificationContent(rng.choice(kinds), "t", "b", {"type": "x", "deepLink": "/"})
            )
            for user_id in user_ids
        ]
        created = await create_notifications(connection, drafts, now=now)
        stored = await connection.execute(
            sa.select(
                notification_history.c.user_id,
                notification_history.c.notification_type,
                notification_history.c.skip_reason,
            ).where(notification_history.c.id.in_(created.notification_ids))
        )
        # Then every stored skip reason is what the domain gate says at that user's local time
        for row in stored:
            local_time = now.astimezone(ZoneInfo(zone_of[row.user_id])).time()
            expected = gate_skip_reason(preferences[row.user_id], row.notification_type, local_time)
            if row.skip_reason != (expected.value if expected else None):
                mismatches.append((row, expected, local_time))
    assert mismatches == []
