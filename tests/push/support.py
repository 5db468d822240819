"""Rows and notices for the push tests: users with devices and preferences, inserted directly."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

import dramatiq
import redis
import redis.asyncio as aioredis
import sqlalchemy as sa
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.ext.asyncio import AsyncConnection

from db.notifications import NotificationDraft, create_notifications
from db.tables import device_tokens, notification_history, notification_preferences, push_deliveries, users
from domain.notification_copy.content import NotificationContent
from domain.notification_types import NotificationType
from sandbox.expo.testing import SandboxHandle
from services.transaction import Database
from settings import Settings
from workers.liveness import liveness_key
from workers.push.claim_fence import ClaimFence
from workers.push.delivery import BatchReport, PushSender, deliver_due_batch
from workers.push.expo_client import ExpoPushClient
from workers.push.limiter import SlidingWindowLimiter
from workers.push.sweep import SweepReport, sweep_stalled_deliveries


def expo_token(behaviour: str = "") -> str:
    """A well-formed token; `behaviour` is a sandbox prefix such as "dnr-" or "dnr-ticket-"."""
    return f"ExponentPushToken[{behaviour}{uuid.uuid4().hex}]"


async def insert_users(connection: AsyncConnection, count: int, **fields: Any) -> list[UUID]:
    rows = []
    for _ in range(count):
        tag = uuid.uuid4().hex[:12]
        rows.append({"email": f"u-{tag}@example.com", "username": f"u_{tag}", "name": f"U {tag}", **fields})
    result = await connection.execute(sa.insert(users).returning(users.c.id), rows)
    return list(result.scalars())


async def add_devices(
    connection: AsyncConnection, user_ids: Sequence[UUID], behaviour: str = ""
) -> list[str]:
    """One active device per user; returns the tokens in user order."""
    tokens = [expo_token(behaviour) for _ in user_ids]
    await connection.execute(
        sa.insert(device_tokens),
        [
            {
                "user_id": user_id,
                "fcm_token": token,
                "device_type": "ios",
                "device_id": token,
                "app_version": "1.0",
                "os_version": "17",
            }
            for user_id, token in zip(user_ids, tokens, strict=True)
        ],
    )
    return tokens


async def set_preferences(connection: AsyncConnection, user_id: UUID, **columns: Any) -> None:
    await connection.execute(sa.insert(notification_preferences).values(user_id=user_id, **columns))


def general_notice(title: str = "Hello", **data: object) -> NotificationContent:
    return NotificationContent(
        notification_type=NotificationType.GENERAL,
        title=title,
        body="A notice for the push tests",
        data={"type": "general", "deepLink": "/(user)/(tabs)", **data},
    )


async def inbox_rows(connection: AsyncConnection, ids: Sequence[UUID]) -> dict[UUID, Any]:
    result = await connection.execute(
        sa.select(
            notification_history.c.id,
            notification_history.c.push_status,
            notification_history.c.skip_reason,
            notification_history.c.delivered_at,
            notification_history.c.failed_at,
            notification_history.c.failure_reason,
        ).where(notification_history.c.id.in_(ids))
    )
    return {row.id: row for row in result}


async def deliveries_of(connection: AsyncConnection, notification_ids: Sequence[UUID]) -> list[Any]:
    result = await connection.execute(
        sa.select(
            push_deliveries.c.id,
            push_deliveries.c.notification_id,
            push_deliveries.c.status,
            push_deliveries.c.ticket_id,
            push_deliveries.c.ticket_error,
            push_deliveries.c.receipt_status,
            push_deliveries.c.receipt_error,
            push_deliveries.c.attempts,
            push_deliveries.c.receipt_checked_at,
        ).where(push_deliveries.c.notification_id.in_(notification_ids))
    )
    return list(result)


async def token_states(connection: AsyncConnection, tokens: Sequence[str]) -> dict[str, Any]:
    result = await connection.execute(
        sa.select(
            device_tokens.c.fcm_token, device_tokens.c.is_active, device_tokens.c.deactivation_reason
        ).where(device_tokens.c.fcm_token.in_(tokens))
    )
    return {row.fcm_token: row for row in result}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class ShiftableClock:
    """Real UTC time plus an offset the test moves forward (to make backoffs and leases lapse)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass(frozen=True)
class PushRig:
    """What a PushSender runs on besides the database: the sandbox (to configure and inspect), the
    client that reaches it over HTTP, a broker in the test's own namespace and Redis. The database
    stays outside so that a test can pair these with its rolled-back or its committed database."""

    sandbox: SandboxHandle
    expo_client: ExpoPushClient
    broker: RedisBroker
    redis: aioredis.Redis

    async def beat(self, owner: str, *, at: datetime) -> None:
        """A heartbeat of worker process `owner` at `at`, in the test's own namespace."""
        await self.redis.zadd(liveness_key(self.broker.namespace), {owner: at.timestamp()})

    async def sweep(self, database: Database, *, now: datetime) -> SweepReport:
        fence = ClaimFence(self.redis, self.broker.namespace, timedelta(minutes=30))
        return await sweep_stalled_deliveries(database, fence, self.redis, self.broker.namespace, now=now)

    def sender(
        self,
        database: Database,
        *,
        lease: timedelta = timedelta(minutes=5),
        stale_after: timedelta = timedelta(minutes=60),
        retry_window: timedelta = timedelta(hours=24),
        clock: ShiftableClock | None = None,
        owner: str = "test-worker",
    ) -> PushSender:
        """A sender without a limit of its own (the sandbox's limit still applies): the limiter has
        tests of its own, tests/workers/test_push_limiter.py."""
        return PushSender(
            database=database,
            client=self.expo_client,
            limiter=SlidingWindowLimiter(self.redis, "unlimited", budget_per_second=0),
            # The broker's namespace is the test's own, so its claim keys are too.
            fence=ClaimFence(self.redis, self.broker.namespace, timedelta(minutes=30)),
            owner=owner,
            claim_lease=lease,
            stale_after=stale_after,
            retry_window=retry_window,
            clock=clock or ShiftableClock(),
        )


async def notify(
    database: Database, user_ids: Sequence[UUID], content: NotificationContent | None = None
) -> list[UUID]:
    """One notice per user (a general one unless `content` is given), committed (or savepointed);
    returns the inbox ids in user order."""
    async with database.transaction() as tx:
        created = await create_notifications(
            tx.connection,
            [
                NotificationDraft(user_id, content or general_notice(), dedupe_key=f"test:{uuid.uuid4()}")
                for user_id in user_ids
            ],
            now=datetime.now(UTC),
        )
        rows = await tx.connection.execute(
            sa.select(notification_history.c.id, notification_history.c.user_id).where(
                notification_history.c.id.in_(created.notification_ids)
            )
        )
        by_user = {row.user_id: row.id for row in rows}
    return [by_user[user_id] for user_id in user_ids]


class Recipients(NamedTuple):
    """In user order, so a test can unpack one user as `[user_id], [token], [notification_id]`."""

    user_ids: list[UUID]
    tokens: list[str]
    notification_ids: list[UUID]


async def one_notice(database: Database, notification_type: NotificationType) -> tuple[str, UUID]:
    """A new user with one device and one notice of `notification_type` produced now."""
    async with database.transaction() as tx:
        user_ids = await insert_users(tx.connection, 1)
        [token] = await add_devices(tx.connection, user_ids)
    content = NotificationContent(
        notification_type=notification_type,
        title=f"A {notification_type.value}",
        body="A notice for the delivery-policy tests",
        data={"type": notification_type.value, "deepLink": "/(user)/(tabs)"},
    )
    [notification_id] = await notify(database, user_ids, content)
    return token, notification_id


async def users_with_notices(database: Database, count: int, behaviour: str = "") -> Recipients:
    """`count` new users with one device each (see `expo_token` for `behaviour`) and a notice each."""
    async with database.transaction() as tx:
        user_ids = await insert_users(tx.connection, count)
        tokens = await add_devices(tx.connection, user_ids, behaviour)
    return Recipients(user_ids, tokens, await notify(database, user_ids))


async def unfinished_deliveries(database: Database) -> int:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.select(sa.func.count())
            .select_from(push_deliveries)
            .where(push_deliveries.c.status == "pending")
        )
        return int(result.scalar_one())


async def drain(sender: PushSender, *, parallel: int = 1, timeout_s: float = 30.0) -> list[BatchReport]:
    """Run delivery batches (`parallel` at a time) until no delivery is pending; returns the reports."""
    reports: list[BatchReport] = []
    deadline = asyncio.get_running_loop().time() + timeout_s
    while await unfinished_deliveries(sender.database):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"deliveries still pending after {timeout_s} s")
        batch = await asyncio.gather(*(deliver_due_batch(sender) for _ in range(parallel)))
        reports += batch
        if not any(report.claimed for report in batch):
            await asyncio.sleep(0.1)  # only backoffs are left: wait for them to come due
    return reports


def queue_length(broker: RedisBroker, settings: Settings, queue: str) -> int:
    with redis.Redis.from_url(settings.redis_url) as client:
        return int(client.llen(f"{broker.namespace}:{queue}"))


def queued_messages(broker: RedisBroker, settings: Settings, queue: str) -> list[dramatiq.Message[object]]:
    with redis.Redis.from_url(settings.redis_url) as client:
        ids = client.lrange(f"{broker.namespace}:{queue}", 0, -1)
        bodies = client.hmget(f"{broker.namespace}:{queue}.msgs", ids) if ids else []
    return [dramatiq.Message.decode(body) for body in bodies]


def notification_ids_sent(sandbox: SandboxHandle) -> Counter[str]:
    """How often Expo accepted each notification id (any device)."""
    return Counter(
        entry["message"]["data"]["notification_id"]
        for entry in sandbox.messages(limit=100_000)
        if entry["ticket_status"] == "ok"
    )
