"""Sending Dramatiq messages by actor name, after the current transaction commits.

Import-light on purpose: the API uses it without importing any actor module (api and workers never
import each other). A message only says "look at row X now"; the row is already committed, so a lost
message delays work (a sweeper finds it) and never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from db.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ActorAddress:
    actor_name: str
    queue_name: str = "default"


def build_message(
    address: ActorAddress, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=address.queue_name,
        actor_name=address.actor_name,
        args=tuple(args),
        kwargs=kwargs or {},
        options={},
    )


class Enqueuer:
    """Buffers messages on a unit of work and sends them once it has committed."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def send_after_commit(
        self,
        uow: UnitOfWork,
        address: ActorAddress,
        *args: Any,
        delay_ms: int | None = None,
    ) -> None:
        message = build_message(address, args)

        async def send() -> None:
            self.broker.enqueue(message, delay=delay_ms)

        uow.after_commit(send)

    def send_many_after_commit(
        self, uow: UnitOfWork, address: ActorAddress, arg_lists: Iterable[Sequence[Any]]
    ) -> None:
        messages = [build_message(address, args) for args in arg_lists]

        async def send() -> None:
            for message in messages:
                self.broker.enqueue(message)

        if messages:
            uow.after_commit(send)


def build_client_broker(redis_url: str, namespace: str) -> RedisBroker:
    """A broker for processes that only send (web): no middleware that needs worker hooks."""
    return RedisBroker(url=redis_url, namespace=namespace, middleware=[])  # type: ignore[no-untyped-call]
