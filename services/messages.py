"""Dramatiq messages addressed by actor name, and the one way they leave a process.

Import-light on purpose: api/ and services/ send without importing any actor module. A message only
says "look at row X now"; the rows are committed before it leaves (services/transaction.py), so a lost
message delays work (a sweeper finds the rows) and never loses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from services.log_context import REQUEST_ID


@dataclass(frozen=True, slots=True)
class ActorAddress:
    actor_name: str
    queue_name: str = "default"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    message: dramatiq.Message[Any]
    delay_ms: int | None = None


def build_message(address: ActorAddress, args: Sequence[Any] = ()) -> dramatiq.Message[Any]:
    """The message, carrying the id of the request (or of the request behind the actor run) that
    sends it, so the actor's log lines name it too (services/log_context.py)."""
    request_id = REQUEST_ID.get()
    return dramatiq.Message(
        queue_name=address.queue_name,
        actor_name=address.actor_name,
        args=tuple(args),
        kwargs={},
        options={"request_id": request_id} if request_id else {},
    )


class MessageSender:
    """Sends messages through a broker without blocking the event loop.

    The Redis broker's enqueue is a blocking round trip per message (Dramatiq has no public batch
    enqueue), so a commit's messages go out together on one worker thread: the request or actor awaits
    them, but the loop keeps serving everything else meanwhile.
    """

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    @classmethod
    def to_redis(cls, redis_url: str, namespace: str) -> MessageSender:
        """A sender of its own for a process that only sends (web, operator commands, benchmarks)."""
        return cls(build_client_broker(redis_url, namespace))

    def close(self) -> None:
        self.broker.close()

    async def send(self, messages: Sequence[OutgoingMessage]) -> None:
        if messages:
            await asyncio.to_thread(self.send_blocking, messages)

    def send_blocking(self, messages: Sequence[OutgoingMessage]) -> None:
        for outgoing in messages:
            self.broker.enqueue(outgoing.message, delay=outgoing.delay_ms)


def build_client_broker(redis_url: str, namespace: str) -> RedisBroker:
    """A broker for processes that only send (web, operator commands): no middleware with worker hooks."""
    return RedisBroker(url=redis_url, namespace=namespace, middleware=[])  # type: ignore[no-untyped-call]
