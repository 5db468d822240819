"""The push path counts what it does (services/metrics.py): deliveries by outcome, Expo requests by
status, and the limiter wait, as the worker's metrics endpoint exports them."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.push.support import PushRig, drain, users_with_notices
from tests.support.savepoint_database import SavepointDatabase


def value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_deliveries_requests_and_waits_are_counted(database: SavepointDatabase, push: PushRig) -> None:
    # Given three users with a notice each, one of whose devices Expo knows is dead
    accepted = value("fitnudge_pushes_total", {"outcome": "accepted"})
    dead = value("fitnudge_pushes_total", {"outcome": "device_not_registered"})
    sends = value("fitnudge_push_requests_total", {"path": "/--/api/v2/push/send", "status": "200"})
    waits = value("fitnudge_push_limiter_wait_seconds_count")
    await users_with_notices(database, 2)
    await users_with_notices(database, 1, behaviour="dnr-ticket-")

    # When everything is delivered
    await drain(push.sender(database))

    # Then the counters moved by exactly what happened
    assert value("fitnudge_pushes_total", {"outcome": "accepted"}) - accepted == 2
    assert value("fitnudge_pushes_total", {"outcome": "device_not_registered"}) - dead == 1
    assert value("fitnudge_push_requests_total", {"path": "/--/api/v2/push/send", "status": "200"}) > sends
    assert value("fitnudge_push_limiter_wait_seconds_count") > waits
