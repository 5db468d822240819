"""What a drill measured: each notice's fate from Expo's side (the sandbox's message log) and the
delivery rows' side (the ambiguous class), and how long the fan-out took to get back to its pace."""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from bench.push import common
from db.push_deliveries import UNCONFIRMED_SEND
from db.tables import push_deliveries
from sandbox.expo.testing import SandboxHandle
from services.transaction import EngineDatabase
from tests.push.support import notification_ids_sent

# The send rate counts as back once one sliding second holds this share of the cap.
RECOVERED_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class FaultWindow:
    """Wall-clock seconds (the sandbox's clock is the wall clock of this machine)."""

    started: float
    ended: float


@dataclass(frozen=True, slots=True)
class Outcome:
    total: int
    delivered_once: int
    lost: int
    duplicated: int  # outside the ambiguous class
    ambiguous: int  # recorded SendUnconfirmed
    ambiguous_accepted: int  # of those, accepted by Expo once
    ambiguous_duplicated: int  # of those, accepted twice or more
    fan_out_s: float  # first to last accepted push
    last_push_after_fault_s: float | None
    rate_back_after_s: float | None  # from the fault's end to a sliding second at 90 % of the cap
    settled_after_fault_s: float | None  # from the fault's end until no delivery was pending


async def wait_until_nothing_pending(database: EngineDatabase, timeout_s: float) -> None:
    """Like common.wait_until_delivered, but a database that is away (the PostgreSQL drill) is waited
    for, not an error."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if await common.pending(database) == 0:
                return
        except (OSError, sa.exc.DBAPIError):
            pass
        await asyncio.sleep(0.25)
    raise TimeoutError(f"deliveries still pending after {timeout_s:.0f} s")


async def unconfirmed_notification_ids(database: EngineDatabase) -> set[str]:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.select(push_deliveries.c.notification_id).where(
                push_deliveries.c.ticket_error == UNCONFIRMED_SEND
            )
        )
        return {str(notification_id) for notification_id in result.scalars()}


def accepted_times(sandbox: SandboxHandle) -> list[float]:
    """When Expo accepted each push (one entry per recipient), sorted."""
    return sorted(
        entry["received_at"] for entry in sandbox.messages(limit=1_000_000) if entry["ticket_status"] == "ok"
    )


def rate_back_after(times: list[float], after: float, cap: int) -> float | None:
    """Seconds from `after` to the start of the first sliding second holding RECOVERED_SHARE of the
    cap; None if the fan-out never got back to that pace after it (it ended first)."""
    wanted = int(cap * RECOVERED_SHARE)
    first = bisect_left(times, after)
    for index in range(first, len(times) - wanted + 1):
        if times[index + wanted - 1] - times[index] < 1.0:
            return max(0.0, times[index] - after)
    return None


def outcome(
    sandbox: SandboxHandle,
    notification_ids: list[str],
    ambiguous: set[str],
    fault: FaultWindow | None,
    settled: float,
    cap: int,
) -> Outcome:
    """`settled`: when no delivery was pending any more (wall clock)."""
    sent: Counter[str] = notification_ids_sent(sandbox)
    times = accepted_times(sandbox)
    plain = [notification_id for notification_id in notification_ids if notification_id not in ambiguous]
    ambiguous_counts = [sent.get(notification_id, 0) for notification_id in ambiguous]
    return Outcome(
        total=len(notification_ids),
        delivered_once=sum(1 for notification_id in notification_ids if sent.get(notification_id) == 1),
        lost=sum(1 for notification_id in plain if sent.get(notification_id, 0) == 0),
        duplicated=sum(1 for notification_id in plain if sent.get(notification_id, 0) > 1),
        ambiguous=len(ambiguous),
        ambiguous_accepted=sum(1 for count in ambiguous_counts if count == 1),
        ambiguous_duplicated=sum(1 for count in ambiguous_counts if count > 1),
        fan_out_s=round(times[-1] - times[0], 1) if times else 0.0,
        last_push_after_fault_s=round(times[-1] - fault.ended, 1) if fault and times else None,
        settled_after_fault_s=round(settled - fault.ended, 1) if fault else None,
        rate_back_after_s=(
            None
            if fault is None or (after := rate_back_after(times, fault.ended, cap)) is None
            else round(after, 1)
        ),
    )
