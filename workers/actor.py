"""The one way actors are declared here: `area.verb` names and explicit limits on every actor.

Dramatiq's defaults (20 retries, backoff up to 7 days, 10 minute time limit) fit nobody here, so each
actor states what it can tolerate. Actors take ids and small values only, never rows or objects.
Periodic actors are declared through `workers.periodic_jobs.periodic_job`, which gives them their cron.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import dramatiq
from periodiq import cron

import workers.broker  # noqa: F401  (actors bind to the broker that is global when declared)

P = ParamSpec("P")
R = TypeVar("R")

ACTOR_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")


def house_actor(
    name: str,
    *,
    queue: str = "default",
    time_limit_ms: int = 60_000,
    max_retries: int = 3,
    min_backoff_ms: int = 1_000,
    max_backoff_ms: int = 60_000,
    max_age_ms: int | None = None,
    priority: int = 0,
) -> Callable[[Callable[P, Awaitable[R]]], dramatiq.Actor[P, R]]:
    """Declare an async actor. `priority`: a worker takes waiting messages of a lower number first."""
    options: dict[str, Any] = {
        "time_limit": time_limit_ms,
        "max_retries": max_retries,
        "min_backoff": min_backoff_ms,
        "max_backoff": max_backoff_ms,
        "priority": priority,
    }
    if max_age_ms is not None:
        options["max_age"] = max_age_ms
    return _declare(name, queue, options)


def scheduled_actor(
    name: str, cron_expression: str, *, queue: str, time_limit_ms: int
) -> Callable[[Callable[[], Awaitable[None]]], dramatiq.Actor[[], None]]:
    """The scheduler's actor for a periodic job: fired by periodiq on `cron_expression` (UTC), never
    retried, since the next run catches up from the job's due index."""
    options = {"time_limit": time_limit_ms, "max_retries": 0, "periodic": cron(cron_expression)}
    return _declare(name, queue, options)


def _declare(
    name: str, queue: str, options: dict[str, Any]
) -> Callable[[Callable[P, Awaitable[R]]], dramatiq.Actor[P, R]]:
    if not ACTOR_NAME.match(name):
        raise ValueError(f"actor names are area.verb, got {name!r}")

    def declare(fn: Callable[P, Awaitable[R]]) -> dramatiq.Actor[P, R]:
        actor: dramatiq.Actor[P, R] = dramatiq.actor(actor_name=name, queue_name=queue, **options)(fn)
        return actor

    return declare
