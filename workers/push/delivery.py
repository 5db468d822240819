"""Delivering pushes: claim up to 100 due rows, take permits, send one Expo request, store the tickets.

Exactly once, and why the claim is committed rather than held as a row lock during the HTTP call:
holding `FOR UPDATE` across the request would make a killed worker's rows pending again the moment
its connection drops — including a batch Expo had already accepted, which the next worker would then
send a second time (Expo has no idempotency key). It would also pin a database connection per batch
for the length of the permit wait and the request. So a batch goes through short steps, each durable
before the next (db/push_deliveries.py for the rows, workers/push/claim_fence.py for the fence):

1. claim, committed: `FOR UPDATE SKIP LOCKED` on up to 100 due rows, then claimed_at = sent_at =
   now (the attempt starts), a fresh claim_id (the fencing token), claimed_by = this process
   (workers/liveness.py), attempts + 1 and a lease (next_attempt_at = now +
   PUSH_CLAIM_LEASE_SECONDS) that keeps them away from other workers. A duplicated Dramatiq message
   finds the rows taken and sends nothing. A full batch enqueues the next message at once, so the
   next batch is claimed while this one waits for permits and for Expo. The same statement fails,
   instead of claiming, the rows of timed notices (domain/delivery_policy.py) produced more than
   REMINDER_STALE_AFTER_MINUTES ago — "time for your 18:00 run" at 23:00, after an outage or a
   backlog — with ticket_error Stale; they are counted (BatchReport.stale) and never sent.
2. permits from the global limiter (workers/push/limiter.py) for the batch size; once the request
   of step 3 is answered, they are settled: counted from the answer rather than from the grant.
3. the fence in Redis, then the request: the worker takes the claim's key for sending unless the
   sweeper revoked the claim first (then it sends nothing). The key is what tells, after a crash, "the
   request may have left" from "it never left", and it stops a worker that stalled past its lease from
   sending a batch already handed to another: one fast Redis round trip, so the request still leaves
   within milliseconds of its grant (a PostgreSQL commit in that spot took 5–120 ms under load).
4. outcome, one statement fenced by the claim: ok ticket → sent with its ticket id; error ticket →
   failed (DeviceNotRegistered also deactivates the token, one statement per batch;
   MessageRateExceeded is retried); 429 / 5xx / connection errors → back in the queue after 2 s, 4 s,
   8 s … doubling up to 5 minutes (±20 % jitter), never sooner than Expo's Retry-After, through
   next_attempt_at plus a delayed message — never a sleep in the worker. Retries go on for as long as
   the notice is worth sending: a timed notice until its staleness bound, any other for
   PUSH_RETRY_WINDOW_MINUTES after it was produced, so a long Expo outage delays pushes instead of
   losing them. A row whose next try would fall past that is failed as RetriesExhausted, which
   `python -m workers.push.redrive` can put back in the queue. Any other 4xx → failed at once, not
   retried. The same statement gives the inbox rows with an ok ticket their delivered_at.
5. settle, only after other outcomes, in its own transaction after 4 commits: failed_at once every
   delivery of the notification failed, push_status sent once none is pending any more.

A worker killed anywhere in there leaves rows claimed until the sweeper (workers/push/sweep.py) sees
that their process stopped beating or their lease lapsed; it revokes the claims whose worker had not
entered the send (nothing left: sent again). The others had an ambiguous outcome, like a read timeout
or reset after sending, a 504, or tickets that do not line up with the messages: the request may have
been accepted and Expo cannot be asked. Each such row follows its category's policy
(domain/delivery_policy.py): by default at most once, recorded sent with ticket_error SendUnconfirmed
and never resent (the inbox row is there either way); at least once for requests, invitations and
billing notices, put back in the queue (ticket_error AmbiguousResend until it is sent, counted as
BatchReport.resent_after_ambiguous), where a second banner is the lesser harm.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol
from uuid import UUID

from exponent_server_sdk import PushTicket
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from db.push_deliveries import (
    RETRIES_EXHAUSTED,
    STALE,
    UNCONFIRMED_SEND,
    ClaimedDelivery,
    DeliveryResult,
    claim_due_deliveries,
    deactivate_tokens_of,
    record_send_results,
    settle_notifications,
)
from services.addresses import PUSH_DELIVER
from services.metrics import PUSH_LIMITER_WAIT_SECONDS, PUSHES
from services.transaction import Database
from workers.push.claim_fence import ClaimFence
from workers.push.expo_client import (
    MAX_MESSAGES_PER_REQUEST,
    ExpoPushClient,
    ExpoRejectedError,
    ExpoRetryableError,
    ExpoUnconfirmedError,
    PreparedSend,
    is_expo_push_token,
)
from workers.push.limiter import PermitWaitTimeout

logger = logging.getLogger(__name__)

BATCH_SIZE: Final = MAX_MESSAGES_PER_REQUEST
BACKOFF_BASE_SECONDS: Final = 2.0
# Backoff doubles up to this: an outage of minutes is retried every few minutes, not hammered, and a
# recovery is noticed within one step.
MAX_BACKOFF_SECONDS: Final = 300.0
BACKOFF_JITTER: Final = 0.2
# Waits between tries of a batch's outcome write while the database is away: about 30 s in all, far
# inside the claim lease (PUSH_CLAIM_LEASE_SECONDS) that keeps the rows this batch's meanwhile.
RECORD_RETRY_DELAYS: Final = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
UNREACHABLE_SQLSTATES: Final = frozenset({"57P01", "57P02", "57P03"})
# Added to a wake-up message's delay so it never runs before the rows it is for are due.
WAKE_SLACK_MS: Final = 100
# ticket_error of rows never sent: the token was deactivated after the row was written, or is malformed.
TOKEN_INACTIVE: Final = "TokenInactive"
# ticket_error of a row back in the queue after an ambiguous outcome (its category is resent).
AMBIGUOUS_RESEND: Final = "AmbiguousResend"
INVALID_TOKEN: Final = "InvalidPushToken"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PermitSource(Protocol):
    """The limiter's interface (workers.push.limiter.SlidingWindowLimiter)."""

    async def acquire(self, n: int = 1, *, max_wait: float | None = None) -> Any: ...

    async def settle(self, grant: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class PushSender:
    """What a delivery run needs; the actor builds it once per worker process."""

    database: Database
    client: ExpoPushClient
    limiter: PermitSource
    fence: ClaimFence
    # This process's name in its claims (workers/liveness.py).
    owner: str
    claim_lease: timedelta
    # REMINDER_STALE_AFTER_MINUTES: timed notices claimed later than this after production are dropped.
    stale_after: timedelta
    # PUSH_RETRY_WINDOW_MINUTES: how long after production any other notice is still retried.
    retry_window: timedelta
    clock: Clock = utc_now

    def retry_deadline(self, row: ClaimedDelivery) -> datetime:
        """The last instant a retry of `row` may be due at."""
        return row.produced_at + (self.stale_after if row.timed else self.retry_window)


@dataclass(frozen=True, slots=True)
class BatchReport:
    claimed: int = 0
    accepted: int = 0
    failed: int = 0
    retried: int = 0
    unconfirmed: int = 0
    # Back in the queue after an ambiguous outcome, by their category's policy (also in `retried`).
    resent_after_ambiguous: int = 0
    deactivated: int = 0
    stale: int = 0  # timed notices failed at claim as too late to send (also counted in `failed`)


@dataclass(frozen=True, slots=True)
class _Outcome:
    results: list[DeliveryResult]
    device_not_registered: list[UUID]
    retry_delay: float | None  # seconds until the earliest row put back in the queue is due


def backoff_seconds(attempts_done: int) -> float:
    """2 s after the first attempt, then 4 s, 8 s … up to 5 minutes, ±20 % so the retries of many
    batches spread out."""
    base = min(MAX_BACKOFF_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempts_done - 1, 16))
    return float(base * random.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER))


def wake_delay_ms(retry_delay: float) -> int:
    """The delay of the message that wakes a worker for rows due in `retry_delay` seconds: a little
    late rather than early, since a message that finds nothing due yet is spent."""
    return round(retry_delay * 1000) + WAKE_SLACK_MS


def expo_message(row: ClaimedDelivery) -> dict[str, Any]:
    """The Expo message of §3.9: to, title, body, data (with notification_id), sound, priority, category."""
    message: dict[str, Any] = {
        "to": row.token,
        "title": row.title,
        "body": row.body,
        "data": row.data,
        "sound": "default",
        "priority": "high",
    }
    if row.ios_category:
        message["categoryId"] = row.ios_category
    return message


async def deliver_due_batch(sender: PushSender) -> BatchReport:
    """Claim and send one batch of due deliveries; returns what happened to it."""
    claimed_at = sender.clock()
    claim_id = uuid.uuid4()
    async with sender.database.transaction() as tx:
        claimed = await claim_due_deliveries(
            tx.connection,
            claim_id=claim_id,
            owner=sender.owner,
            now=claimed_at,
            lease_until=claimed_at + sender.claim_lease,
            stale_after=sender.stale_after,
            limit=BATCH_SIZE,
        )
        if len(claimed) == BATCH_SIZE:
            # More is probably due: let another worker thread claim the next batch in parallel.
            tx.enqueue(PUSH_DELIVER)
    if not claimed:
        return BatchReport()

    stale = [row for row in claimed if row.stale]
    if stale:
        logger.warning("push: %d timed notices claimed too late to be sent; failed as %s", len(stale), STALE)
    live = [row for row in claimed if not row.stale]
    sendable = [row for row in live if row.token_usable and is_expo_push_token(row.token)]
    outcome = _Outcome(
        [
            DeliveryResult(
                row.id, "failed", ticket_error=TOKEN_INACTIVE if not row.token_usable else INVALID_TOKEN
            )
            for row in live
            if not (row.token_usable and is_expo_push_token(row.token))
        ],
        [],
        None,
    )
    if sendable:
        sent = await _send(sender, sendable, claim_id)
        outcome = _Outcome(outcome.results + sent.results, sent.device_not_registered, sent.retry_delay)

    deactivated = await _record(sender, outcome, claim_id)
    # Outcomes other than an ok ticket need the notification's other deliveries (all failed? none
    # pending any more?); an ok ticket already gave its inbox row delivered_at above.
    unsettled = {
        result.id for result in outcome.results if result.ticket_id is None and result.status != "pending"
    } | {row.id for row in stale}
    if unsettled:
        async with sender.database.transaction() as tx:
            await settle_notifications(
                tx.connection,
                [row.notification_id for row in claimed if row.id in unsettled],
                now=sender.clock(),
            )
    report = _report(claimed, outcome.results, deactivated, stale=len(stale))
    _count(report)
    return report


async def _record(sender: PushSender, outcome: _Outcome, claim_id: UUID) -> int:
    """Store the batch's outcome (step 4); returns how many tokens were deactivated.

    The tickets exist only in this process until this commits: when PostgreSQL is restarting or a
    connection dropped, the write is tried again for a while instead of leaving the rows claimed until
    the lease lapses (and then recorded SendUnconfirmed, without their tickets)."""
    for delay in RECORD_RETRY_DELAYS:
        try:
            return await _write_outcome(sender, outcome, claim_id)
        except (DBAPIError, OSError) as error:
            if not _database_unreachable(error):
                raise
            logger.warning(
                "push: recording %d outcomes failed (%s); again in %s s", len(outcome.results), error, delay
            )
            await asyncio.sleep(delay)
    return await _write_outcome(sender, outcome, claim_id)


def _database_unreachable(error: Exception) -> bool:
    """A connection lost or refused (PostgreSQL restarting, failing over), as opposed to a statement
    that failed: only then is the same write worth trying again."""
    if isinstance(error, OSError | InterfaceError | OperationalError):
        return True
    assert isinstance(error, DBAPIError)
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    # 08: connection exception; 57P01–57P03: admin or crash shutdown, cannot connect now.
    return error.connection_invalidated or sqlstate.startswith("08") or sqlstate in UNREACHABLE_SQLSTATES


async def _write_outcome(sender: PushSender, outcome: _Outcome, claim_id: UUID) -> int:
    now = sender.clock()
    async with sender.database.transaction() as tx:
        await record_send_results(tx.connection, outcome.results, claim_id=claim_id, now=now)
        deactivated = await deactivate_tokens_of(tx.connection, outcome.device_not_registered, now=now)
        if outcome.retry_delay is not None:
            tx.enqueue(PUSH_DELIVER, delay_ms=wake_delay_ms(outcome.retry_delay))
    return deactivated


async def _send(sender: PushSender, rows: Sequence[ClaimedDelivery], claim_id: UUID) -> _Outcome:
    """Permits, the fence, the request, and the outcome of every row."""
    request = sender.client.prepare_send([expo_message(row) for row in rows])
    try:
        # Waiting past a third of the lease would risk the claim lapsing while we still hold it.
        waited_from = time.perf_counter()
        grant = await sender.limiter.acquire(len(rows), max_wait=sender.claim_lease.total_seconds() / 3)
        PUSH_LIMITER_WAIT_SECONDS.observe(time.perf_counter() - waited_from)
    except PermitWaitTimeout:
        logger.warning("push: no permits for %d messages in time; batch handed back", len(rows))
        return _Outcome([DeliveryResult(row.id, "pending", retry_at=sender.clock()) for row in rows], [], 0.0)
    if not await sender.fence.enter_send(claim_id):
        # The sweeper took the claim back (we stalled past the lease): the rows are someone else's.
        logger.warning("push: claim of %d messages revoked before sending; sending nothing", len(rows))
        return _Outcome([], [], None)
    try:
        tickets = await _request(sender, request, grant)
    except ExpoRetryableError as error:
        logger.warning(
            "push: Expo did not take %d messages (%s); retrying with backoff", len(rows), error.code
        )
        return _retry_or_fail(sender, rows, error.code, retry_after=error.retry_after)
    except ExpoRejectedError as error:
        logger.error("push: Expo rejected %d messages: %s %s", len(rows), error.code, error.message)
        return _Outcome([DeliveryResult(row.id, "failed", ticket_error=error.code) for row in rows], [], None)
    except ExpoUnconfirmedError as error:
        # Each row follows its category's policy for an ambiguous send (domain/delivery_policy.py).
        resend = [row for row in rows if row.resend_when_ambiguous]
        logger.warning(
            "push: outcome of %d messages unknown (%s); %d resent by their category's policy",
            len(rows),
            error.code,
            len(resend),
        )
        resent = _retry_or_fail(sender, resend, AMBIGUOUS_RESEND)
        given_up = [
            DeliveryResult(row.id, "sent", ticket_error=UNCONFIRMED_SEND)
            for row in rows
            if not row.resend_when_ambiguous
        ]
        return _Outcome(given_up + resent.results, [], resent.retry_delay)
    return _ticket_outcomes(sender, rows, tickets)


async def _request(sender: PushSender, request: PreparedSend, grant: Any) -> list[PushTicket]:
    """The request, then its permits settled at its answer whatever the outcome (the limiter counts
    them from when Expo may have counted them: workers/push/limiter.py `settle`)."""
    try:
        return await sender.client.send_prepared(request)
    finally:
        try:
            await sender.limiter.settle(grant)
        except (RedisError, OSError) as error:
            # The outcome must still be recorded; the grant then counts from its grant time alone.
            logger.warning(
                "push: could not settle the permits of %d messages: %s", len(request.messages), error
            )


def _retry_or_fail(
    sender: PushSender, rows: Sequence[ClaimedDelivery], reason: str, *, retry_after: float | None = None
) -> _Outcome:
    """Rows go back to the queue together, after one jittered backoff (no sooner than Expo's
    Retry-After); a row whose retry would be due past its deadline fails as RetriesExhausted."""
    if not rows:
        return _Outcome([], [], None)
    now = sender.clock()
    delay = max(backoff_seconds(max(row.attempts for row in rows)), retry_after or 0.0)
    retry_at = now + timedelta(seconds=delay)
    results, retried = [], False
    for row in rows:
        if retry_at > sender.retry_deadline(row):
            results.append(DeliveryResult(row.id, "failed", ticket_error=RETRIES_EXHAUSTED))
            continue
        retried = True
        results.append(DeliveryResult(row.id, "pending", ticket_error=reason, retry_at=retry_at))
    exhausted = len(results) - sum(1 for result in results if result.status == "pending")
    if exhausted:
        logger.warning(
            "push: %d deliveries out of retries after %s; failed as %s", exhausted, reason, RETRIES_EXHAUSTED
        )
    return _Outcome(results, [], delay if retried else None)


def _ticket_outcomes(
    sender: PushSender, rows: Sequence[ClaimedDelivery], tickets: Sequence[PushTicket]
) -> _Outcome:
    results, dnr_ids, rate_limited = [], [], []
    for row, ticket in zip(rows, tickets, strict=True):
        if ticket.is_success() and ticket.id:
            results.append(DeliveryResult(row.id, "sent", ticket_id=str(ticket.id)))
            continue
        error = str((ticket.details or {}).get("error") or "UnknownTicketError")
        if error == PushTicket.ERROR_MESSAGE_RATE_EXCEEDED:
            rate_limited.append(row)
            continue
        if error == PushTicket.ERROR_DEVICE_NOT_REGISTERED:
            dnr_ids.append(row.id)
        results.append(DeliveryResult(row.id, "failed", ticket_error=error))
    retried = _retry_or_fail(sender, rate_limited, PushTicket.ERROR_MESSAGE_RATE_EXCEEDED)
    return _Outcome(results + retried.results, dnr_ids, retried.retry_delay)


# BatchReport field → the outcome label of fitnudge_pushes_total.
_OUTCOME_LABELS: Final = {"deactivated": "device_not_registered"}


def _count(report: BatchReport) -> None:
    for field_name, count in asdict(report).items():
        if field_name != "claimed" and count:
            PUSHES.labels(_OUTCOME_LABELS.get(field_name, field_name)).inc(count)


def _report(
    claimed: Sequence[ClaimedDelivery], results: Sequence[DeliveryResult], deactivated: int, *, stale: int
) -> BatchReport:
    return BatchReport(
        claimed=len(claimed),
        accepted=sum(1 for result in results if result.ticket_id is not None),
        failed=stale + sum(1 for result in results if result.status == "failed"),
        retried=sum(1 for result in results if result.status == "pending"),
        unconfirmed=sum(1 for result in results if result.ticket_error == UNCONFIRMED_SEND),
        resent_after_ambiguous=sum(
            1 for result in results if result.status == "pending" and result.ticket_error == AMBIGUOUS_RESEND
        ),
        deactivated=deactivated,
        stale=stale,
    )
