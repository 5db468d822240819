"""Fixtures of the push tests: a real Expo sandbox over HTTP, the Expo client, a broker of their own,
and the three bundled with Redis for the sender."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio as aioredis
from dramatiq.brokers.redis import RedisBroker

from sandbox.expo.testing import SandboxHandle, running_sandbox
from services.messages import MessageSender, build_client_broker
from settings import Settings
from tests.push.support import PushRig
from workers.push.expo_client import ExpoPushClient


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        yield handle


@pytest.fixture
async def expo_client(sandbox: SandboxHandle) -> AsyncIterator[ExpoPushClient]:
    client = ExpoPushClient(sandbox.base_url)
    yield client
    await client.aclose()


@pytest.fixture
def push_broker(settings: Settings) -> Iterator[RedisBroker]:
    """A sending-only broker in a namespace of its own, so tests can count what was enqueued."""
    namespace = f"test-push-{uuid.uuid4().hex[:8]}"
    broker = build_client_broker(settings.redis_url, namespace)
    yield broker
    with redis.Redis.from_url(settings.redis_url) as client:
        keys = list(client.scan_iter(f"{namespace}*"))
        if keys:
            client.delete(*keys)
    broker.close()


@pytest.fixture
def message_sender(push_broker: RedisBroker) -> MessageSender:
    """Here transactions send into the test's own namespace, so a test can count what they enqueued."""
    return MessageSender(push_broker)


@pytest.fixture
def push(
    sandbox: SandboxHandle, expo_client: ExpoPushClient, push_broker: RedisBroker, redis: aioredis.Redis
) -> PushRig:
    """The sender's pieces in one, so that a test asks for `push` rather than for each of them."""
    return PushRig(sandbox, expo_client, push_broker, redis)
