"""push_deliveries: claiming, sending state, tickets, receipts, token hygiene and retention.

The life of a delivery row (workers/push/delivery.py drives it and explains the policy):

    pending, unclaimed          due when next_attempt_at <= now (and sent_at IS NULL)
      └ claim_due_deliveries    an attempt starts: claimed_at = sent_at = now, a fresh claim_id, the
                                owner (claimed_by), attempts + 1, and a lease (next_attempt_at = now +
                                lease) that keeps the rows away from others;
                                a timed notice's row past the staleness bound is failed instead
                                (ticket_error Stale, never sent)
         └ record_send_results  sent (ok ticket) / failed (error ticket, 400, out of attempts) /
                                pending again after a backoff (429, 5xx, connection error)
    lapsed claim (lease over, or its owner stopped beating, still pending)  → the sweeper revokes it in
                                Redis unless its request may have left: release_claims (due again) or
                                mark_unconfirmed (sent, unconfirmed)

Writes after the claim are fenced by `claim_id = <the claim's id>`: a worker whose claim was taken
back can no longer change rows that the sweeper released to someone else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partial_index_predicates import is_not_pending, is_pending
from db.tables import device_tokens, notification_history, push_deliveries
from domain.delivery_policy import RESEND_WHEN_AMBIGUOUS_TYPES, TIMED_TYPES

__all__ = [
    "DEVICE_NOT_REGISTERED",
    "RECEIPT_EXPIRED",
    "RETRIES_EXHAUSTED",
    "STALE",
    "UNCONFIRMED_SEND",
    "AwaitingReceipt",
    "ClaimedDelivery",
    "DeliveryResult",
    "LapsedClaim",
    "ReceiptOutcome",
    "claim_due_deliveries",
    "count_due_deliveries",
    "deactivate_tokens_of",
    "deliveries_awaiting_receipt",
    "expire_missing_receipts",
    "lapsed_claims",
    "mark_unconfirmed",
    "prune_deliveries",
    "record_receipts",
    "record_send_results",
    "redrive_exhausted",
    "release_claims",
    "requeue_for_resend",
    "settle_notifications",
]

# device_tokens.deactivation_reason and the Expo error that causes it.
DEVICE_NOT_REGISTERED: Final = "DeviceNotRegistered"
# ticket_error of a delivery whose request may or may not have reached Expo (timeout after sending,
# 504, a worker that died after its request may have left): it counts as sent, is never sent again.
UNCONFIRMED_SEND: Final = "SendUnconfirmed"
# ticket_error of a timed notice's delivery claimed more than the staleness bound after the notice was
# produced for its due minute: failed at claim, never sent (domain/delivery_policy.py).
STALE: Final = "Stale"
# ticket_error of a delivery that Expo did not take (429, 5xx, connection errors) on any attempt within
# its retry window; `python -m workers.push.redrive` puts such rows back in the queue.
RETRIES_EXHAUSTED: Final = "RetriesExhausted"
# receipt_error of a ticket whose receipt never appeared within Expo's 24 h.
RECEIPT_EXPIRED: Final = "ReceiptExpired"

_UUID = postgresql.UUID(as_uuid=True)
_TSTZ = sa.DateTime(timezone=True)


def _array(name: str, item_type: Any) -> sa.Cast[Any]:
    return sa.cast(sa.bindparam(name, type_=ARRAY(item_type)), ARRAY(item_type))


_IDS = _array("ids", _UUID)
_NOW = sa.bindparam("now", type_=_TSTZ)
# A row back in the queue: no claim, nothing in flight.
_UNCLAIMED: Final[dict[str, Any]] = {
    "claimed_at": sa.null(),
    "claim_id": sa.null(),
    "claimed_by": sa.null(),
    "sent_at": sa.null(),
}


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A claimed row with what its Expo message needs."""

    id: UUID
    notification_id: UUID
    token: str
    token_usable: bool  # active and still registered to the notice's recipient
    title: str
    body: str
    data: dict[str, Any]
    ios_category: str | None
    attempts: int
    # A timed notice claimed too late: the claim already failed it (ticket_error Stale); not to be sent.
    stale: bool
    # When the notice was produced, and whether it is timed: how long it is still worth retrying.
    produced_at: datetime
    timed: bool
    # Its category is sent again after an ambiguous outcome (domain/delivery_policy.py).
    resend_when_ambiguous: bool


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The new state of one delivery after a send attempt.

    status "pending" puts the row back in the queue at `retry_at` (claim and in-flight marks cleared).
    """

    id: UUID
    status: str
    ticket_id: str | None = None
    ticket_error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AwaitingReceipt:
    id: UUID
    ticket_id: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    id: UUID
    # The ticket the receipt belongs to: a row that has a new ticket since (a resend) does not take it.
    ticket_id: str
    receipt_status: str
    receipt_error: str | None


# --- Claiming and sending -----------------------------------------------------------------------------


def _resend_when_ambiguous() -> sa.ColumnElement[bool]:
    return notification_history.c.notification_type.in_(sorted(RESEND_WHEN_AMBIGUOUS_TYPES))


def _build_claim() -> sa.Update:
    due = (
        sa.select(push_deliveries.c.id)
        .where(
            is_pending(push_deliveries.c.status),
            push_deliveries.c.next_attempt_at <= _NOW,
            # Claimed rows: their lease keeps them out of the due range; once it lapses, only the
            # sweeper decides about them (release or unconfirmed), never a blind re-claim.
            push_deliveries.c.sent_at.is_(None),
        )
        .order_by(push_deliveries.c.next_attempt_at)
        .limit(sa.bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    # A timed notice's sent_at is the instant it was produced for its due minute (producers drop it
    # when that is already more than the bound late), so past `stale_before` it is out of context.
    stale = sa.and_(
        notification_history.c.notification_type.in_(sorted(TIMED_TYPES)),
        notification_history.c.sent_at < sa.bindparam("stale_before", type_=_TSTZ),
    )
    return (
        sa.update(push_deliveries)
        .where(
            # `= ANY(ARRAY(…))` rather than a join: the planner then fetches the claimed rows by
            # primary key instead of hash-joining against a scan of the whole table.
            push_deliveries.c.id == sa.any_(sa.func.array(due.scalar_subquery())),
            notification_history.c.id == push_deliveries.c.notification_id,
            device_tokens.c.id == push_deliveries.c.device_token_id,
        )
        .values(
            # A stale row is closed here rather than claimed: failed, no attempt, nothing in flight.
            status=sa.case((stale, "failed"), else_=push_deliveries.c.status),
            ticket_error=sa.case((stale, STALE), else_=push_deliveries.c.ticket_error),
            claimed_at=_NOW,
            claim_id=sa.case((stale, sa.null()), else_=sa.bindparam("claim_id", type_=_UUID)),
            claimed_by=sa.case((stale, sa.null()), else_=sa.bindparam("owner", type_=sa.Text())),
            sent_at=sa.case((stale, sa.null()), else_=_NOW),
            attempts=sa.case((stale, push_deliveries.c.attempts), else_=push_deliveries.c.attempts + 1),
            next_attempt_at=sa.case(
                (stale, push_deliveries.c.next_attempt_at),
                else_=sa.bindparam("lease_until", type_=_TSTZ),
            ),
            updated_at=_NOW,
        )
        .returning(
            push_deliveries.c.id,
            push_deliveries.c.notification_id,
            device_tokens.c.fcm_token,
            # A token that moved to another account (register-device upsert) after the notice was
            # written must not carry the previous owner's notice: usable only while still theirs.
            sa.and_(
                device_tokens.c.is_active, device_tokens.c.user_id == notification_history.c.user_id
            ).label("token_usable"),
            notification_history.c.title,
            notification_history.c.body,
            # The push payload: the inbox data plus the id the app drops duplicates by (§3.9).
            notification_history.c.data.op("||", return_type=JSONB)(
                sa.func.jsonb_build_object("notification_id", sa.cast(notification_history.c.id, sa.Text))
            ),
            notification_history.c.ios_category,
            push_deliveries.c.attempts,
            stale.label("stale"),
            notification_history.c.sent_at.label("produced_at"),
            notification_history.c.notification_type.in_(sorted(TIMED_TYPES)).label("timed"),
            _resend_when_ambiguous().label("resend_when_ambiguous"),
        )
    )


_CLAIM: Final = _build_claim()


async def claim_due_deliveries(
    connection: AsyncConnection,
    *,
    claim_id: UUID,
    owner: str,
    now: datetime,
    lease_until: datetime,
    stale_after: timedelta,
    limit: int,
) -> list[ClaimedDelivery]:
    """Claim up to `limit` due rows (oldest due first) for one send attempt as `claim_id` (fresh per
    claim: the token the later writes of the batch are fenced by) held by the worker process `owner`,
    skipping rows other workers hold locked. `attempts` in the result counts this attempt.

    Rows of timed notices produced more than `stale_after` before `now` come back with `stale` set,
    already failed with ticket_error Stale by the same statement: the caller sends none of them and
    settles their notifications."""
    result = await connection.execute(
        _CLAIM,
        {
            "claim_id": claim_id,
            "owner": owner,
            "now": now,
            "lease_until": lease_until,
            "stale_before": now - stale_after,
            "limit": limit,
        },
    )
    return [ClaimedDelivery(*row) for row in result]


def _build_record_results() -> sa.Update:
    results = (
        sa.func.unnest(
            _IDS,
            _array("statuses", sa.Text()),
            _array("ticket_ids", sa.Text()),
            _array("ticket_errors", sa.Text()),
            _array("retry_ats", _TSTZ),
        )
        .table_valued(
            sa.column("id", _UUID),
            sa.column("status", sa.Text()),
            sa.column("ticket_id", sa.Text()),
            sa.column("ticket_error", sa.Text()),
            sa.column("retry_at", _TSTZ),
            name="result",
        )
        .render_derived()
    )
    back_in_queue = results.c.status == "pending"
    recorded = (
        sa.update(push_deliveries)
        .where(
            push_deliveries.c.id == results.c.id,
            # Lets the planner fetch the batch by primary key (the unnest alone hides the row count).
            push_deliveries.c.id == sa.any_(_IDS),
            push_deliveries.c.claim_id == sa.bindparam("claim", type_=_UUID),
        )
        .values(
            status=results.c.status,
            ticket_id=results.c.ticket_id,
            ticket_error=results.c.ticket_error,
            next_attempt_at=sa.func.coalesce(results.c.retry_at, push_deliveries.c.next_attempt_at),
            claimed_at=sa.case((back_in_queue, sa.null()), else_=push_deliveries.c.claimed_at),
            claim_id=sa.case((back_in_queue, sa.null()), else_=push_deliveries.c.claim_id),
            claimed_by=sa.case((back_in_queue, sa.null()), else_=push_deliveries.c.claimed_by),
            sent_at=sa.case((back_in_queue, sa.null()), else_=push_deliveries.c.sent_at),
            # A resend (after a MessageRateExceeded receipt) starts a new receipt cycle.
            receipt_status=sa.null(),
            receipt_error=sa.null(),
            receipt_checked_at=sa.null(),
            updated_at=_NOW,
        )
        .returning(push_deliveries.c.notification_id, push_deliveries.c.ticket_id)
        .cte("recorded")
    )
    accepted = (
        sa.select(recorded.c.notification_id).where(recorded.c.ticket_id.is_not(None)).scalar_subquery()
    )
    # One ok ticket is enough for delivered_at, whatever the other devices do, so this needs no look at
    # the notification's other deliveries and can share the statement (see settle_notifications).
    return (
        sa.update(notification_history)
        .where(
            notification_history.c.id == sa.any_(sa.func.array(accepted)),
            notification_history.c.push_status != "skipped",
        )
        .values(
            push_status="sent",
            delivered_at=sa.func.coalesce(notification_history.c.delivered_at, _NOW),
            failed_at=sa.null(),
            failure_reason=sa.null(),
            updated_at=_NOW,
        )
    )


_RECORD_RESULTS: Final = _build_record_results()


async def record_send_results(
    connection: AsyncConnection, results: Sequence[DeliveryResult], *, claim_id: UUID, now: datetime
) -> None:
    """Store tickets and outcomes of one batch (only rows still claimed by us), and give the inbox rows
    with an ok ticket their delivered_at, in one statement."""
    if not results:
        return
    await connection.execute(
        _RECORD_RESULTS,
        {
            "ids": [result.id for result in results],
            "statuses": [result.status for result in results],
            "ticket_ids": [result.ticket_id for result in results],
            "ticket_errors": [result.ticket_error for result in results],
            "retry_ats": [result.retry_at for result in results],
            "claim": claim_id,
            "now": now,
        },
    )


async def deactivate_tokens_of(
    connection: AsyncConnection, delivery_ids: Sequence[UUID], *, now: datetime
) -> int:
    """DeviceNotRegistered for these deliveries: deactivate their tokens in one statement.

    A token updated after the delivery was sent (the app registered it again) stays active: the
    verdict is about the send, and Expo says to stop only "until the device registers again".
    """
    if not delivery_ids:
        return 0
    result = await connection.execute(
        sa.update(device_tokens)
        .where(
            push_deliveries.c.id == sa.any_(_IDS),
            device_tokens.c.id == push_deliveries.c.device_token_id,
            device_tokens.c.is_active,
            device_tokens.c.updated_at <= push_deliveries.c.sent_at,
        )
        .values(
            is_active=False, deactivated_at=_NOW, deactivation_reason=DEVICE_NOT_REGISTERED, updated_at=_NOW
        ),
        {"ids": list(delivery_ids), "now": now},
    )
    return int(result.rowcount)


def _build_settle() -> sa.Update:
    tally = (
        sa.select(
            push_deliveries.c.notification_id,
            sa.func.count().label("total"),
            sa.func.count().filter(push_deliveries.c.ticket_id.is_not(None)).label("accepted"),
            sa.func.count().filter(push_deliveries.c.status == "pending").label("pending"),
            sa.func.count().filter(push_deliveries.c.status == "failed").label("failed"),
            sa.func.min(push_deliveries.c.ticket_error)
            .filter(push_deliveries.c.status == "failed")
            .label("failure_reason"),
        )
        .where(push_deliveries.c.notification_id == sa.any_(_IDS))
        .group_by(push_deliveries.c.notification_id)
        .subquery("tally")
    )
    all_failed = tally.c.failed == tally.c.total
    return (
        sa.update(notification_history)
        .where(
            notification_history.c.id == tally.c.notification_id,
            notification_history.c.id == sa.any_(_IDS),
            notification_history.c.push_status.in_(("pending", "sent")),
        )
        .values(
            push_status=sa.case(
                (tally.c.accepted > 0, "sent"),
                (all_failed, "failed"),
                # Every delivery is final, none accepted, not all failed: some are unconfirmed.
                (tally.c.pending == 0, "sent"),
                else_=notification_history.c.push_status,
            ),
            delivered_at=sa.case(
                (tally.c.accepted > 0, sa.func.coalesce(notification_history.c.delivered_at, _NOW)),
                else_=notification_history.c.delivered_at,
            ),
            failed_at=sa.case((all_failed, _NOW), else_=sa.null()),
            failure_reason=sa.case((all_failed, tally.c.failure_reason), else_=sa.null()),
            updated_at=_NOW,
        )
    )


_SETTLE: Final = _build_settle()


async def settle_notifications(
    connection: AsyncConnection, notification_ids: Sequence[UUID], *, now: datetime
) -> None:
    """Bring the inbox rows' push state in line with all their deliveries: failed_at + failure_reason
    once every delivery failed, push_status sent once none is pending (unconfirmed ones included).

    Run it in a transaction after the one that changed the deliveries: of two workers finishing the
    devices of one notification at once, the later committer then sees both outcomes.
    """
    if notification_ids:
        await connection.execute(_SETTLE, {"ids": list(set(notification_ids)), "now": now})


# --- Sweeping -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LapsedClaim:
    claim_id: UUID
    delivery_ids: list[UUID]
    notification_ids: list[UUID]
    # Per delivery: its category is sent again after an ambiguous outcome (domain/delivery_policy.py).
    resend_when_ambiguous: list[bool]


async def lapsed_claims(
    connection: AsyncConnection,
    *,
    now: datetime,
    live_owners: Sequence[str],
    claimed_before: datetime,
    limit: int,
) -> list[LapsedClaim]:
    """Claims whose rows are still pending although their worker is gone: the lease ran out (it died
    or hangs), or its owner is not among `live_owners` (it stopped beating) and claimed before
    `claimed_before` (so a claim is never judged on a beat older than itself)."""
    in_flight = sa.and_(is_pending(push_deliveries.c.status), push_deliveries.c.sent_at.is_not(None))
    owner_gone = sa.and_(
        push_deliveries.c.claimed_by != sa.all_(_array("live_owners", sa.Text())),
        push_deliveries.c.claimed_at < sa.bindparam("claimed_before", type_=_TSTZ),
    )
    result = await connection.execute(
        sa.select(
            push_deliveries.c.claim_id,
            push_deliveries.c.id,
            push_deliveries.c.notification_id,
            _resend_when_ambiguous(),
        )
        .join(notification_history, notification_history.c.id == push_deliveries.c.notification_id)
        .where(in_flight, sa.or_(push_deliveries.c.next_attempt_at <= _NOW, owner_gone))
        .order_by(push_deliveries.c.claimed_at)
        .limit(limit)
        .with_for_update(of=push_deliveries, skip_locked=True),
        {"now": now, "live_owners": list(live_owners), "claimed_before": claimed_before},
    )
    claims: dict[UUID, LapsedClaim] = {}
    for claim_id, delivery_id, notification_id, resend in result:
        claim = claims.setdefault(claim_id, LapsedClaim(claim_id, [], [], []))
        claim.delivery_ids.append(delivery_id)
        claim.notification_ids.append(notification_id)
        claim.resend_when_ambiguous.append(resend)
    return list(claims.values())


async def release_claims(connection: AsyncConnection, ids: Sequence[UUID], *, now: datetime) -> None:
    """Rows of a lapsed claim whose request never left: due again at once."""
    if ids:
        await connection.execute(
            sa.update(push_deliveries)
            .where(push_deliveries.c.id == sa.any_(_IDS), push_deliveries.c.status == "pending")
            .values(**_UNCLAIMED, next_attempt_at=_NOW, updated_at=_NOW),
            {"ids": list(ids), "now": now},
        )


async def mark_unconfirmed(connection: AsyncConnection, ids: Sequence[UUID], *, now: datetime) -> None:
    """Rows of a lapsed claim whose request may have reached Expo: sent, unconfirmed, never resent."""
    if ids:
        await connection.execute(
            sa.update(push_deliveries)
            .where(push_deliveries.c.id == sa.any_(_IDS), push_deliveries.c.status == "pending")
            .values(status="sent", ticket_error=UNCONFIRMED_SEND, updated_at=_NOW),
            {"ids": list(ids), "now": now},
        )


async def count_due_deliveries(connection: AsyncConnection, *, now: datetime, cap: int) -> int:
    """How many rows are due and unclaimed, counting up to `cap`."""
    due = (
        sa.select(push_deliveries.c.id)
        .where(
            is_pending(push_deliveries.c.status),
            push_deliveries.c.next_attempt_at <= _NOW,
            push_deliveries.c.sent_at.is_(None),
        )
        .limit(cap)
        .subquery()
    )
    result = await connection.execute(sa.select(sa.func.count()).select_from(due), {"now": now})
    return int(result.scalar_one())


# --- Receipts -----------------------------------------------------------------------------------------


def _awaiting_receipt(sent_before: datetime) -> sa.ColumnElement[bool]:
    """Tickets sent before `sent_before` still without a receipt (ix_push_deliveries_awaiting_receipt)."""
    return sa.and_(
        push_deliveries.c.ticket_id.is_not(None),
        push_deliveries.c.receipt_checked_at.is_(None),
        push_deliveries.c.sent_at < sa.literal(sent_before, _TSTZ),
    )


async def expire_missing_receipts(
    connection: AsyncConnection, *, sent_before: datetime, now: datetime, limit: int
) -> int:
    """Give up on the `limit` oldest tickets sent before `sent_before` whose receipt never came (Expo keeps
    them 24 h); returns how many. Expired rows leave the awaiting-receipt index, so the next call takes the
    next oldest; rows another transaction holds are left for a later call."""
    batch = (
        sa.select(push_deliveries.c.id)
        .where(_awaiting_receipt(sent_before))
        .order_by(push_deliveries.c.sent_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .subquery()
    )
    result = await connection.execute(
        sa.update(push_deliveries)
        .where(push_deliveries.c.id.in_(sa.select(batch.c.id)))
        .values(receipt_error=RECEIPT_EXPIRED, receipt_checked_at=_NOW, updated_at=_NOW),
        {"now": now},
    )
    return int(result.rowcount)


async def deliveries_awaiting_receipt(
    connection: AsyncConnection,
    *,
    sent_before: datetime,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[AwaitingReceipt]:
    """The next `limit` rows with a ticket sent before `sent_before` and no receipt yet, in (sent_at, id)
    order after the keyset position `after`. Not locked: the caller asks Expo outside any transaction,
    and record_receipts only writes rows that are still in the state read here."""
    position: sa.ColumnElement[bool] = sa.true()
    if after is not None:
        position = sa.tuple_(push_deliveries.c.sent_at, push_deliveries.c.id) > sa.tuple_(
            sa.literal(after[0], _TSTZ), sa.literal(after[1], _UUID)
        )
    result = await connection.execute(
        sa.select(push_deliveries.c.id, push_deliveries.c.ticket_id, push_deliveries.c.sent_at)
        .where(_awaiting_receipt(sent_before), position)
        .order_by(push_deliveries.c.sent_at, push_deliveries.c.id)
        .limit(limit)
    )
    return [AwaitingReceipt(*row) for row in result]


async def record_receipts(
    connection: AsyncConnection, outcomes: Sequence[ReceiptOutcome], *, now: datetime
) -> set[UUID]:
    """Store the receipts of rows that still await them for the same ticket; returns the ids written.

    The condition makes a receipt land once: a concurrent run that read the same rows, or a resend that
    replaced the ticket in the meantime, finds the rows changed and writes nothing."""
    if not outcomes:
        return set()
    received = (
        sa.func.unnest(
            _IDS, _array("tickets", sa.Text()), _array("statuses", sa.Text()), _array("errors", sa.Text())
        )
        .table_valued(
            sa.column("id", _UUID),
            sa.column("ticket_id", sa.Text()),
            sa.column("status", sa.Text()),
            sa.column("error", sa.Text()),
            name="receipt",
        )
        .render_derived()
    )
    result = await connection.execute(
        sa.update(push_deliveries)
        .where(
            push_deliveries.c.id == received.c.id,
            push_deliveries.c.ticket_id == received.c.ticket_id,
            push_deliveries.c.receipt_checked_at.is_(None),
        )
        .values(
            receipt_status=received.c.status,
            receipt_error=received.c.error,
            receipt_checked_at=_NOW,
            updated_at=_NOW,
        )
        .returning(push_deliveries.c.id),
        {
            "ids": [outcome.id for outcome in outcomes],
            "tickets": [outcome.ticket_id for outcome in outcomes],
            "statuses": [outcome.receipt_status for outcome in outcomes],
            "errors": [outcome.receipt_error for outcome in outcomes],
            "now": now,
        },
    )
    return set(result.scalars())


async def requeue_for_resend(
    connection: AsyncConnection, ids: Sequence[UUID], *, retry_at: datetime, max_attempts: int, now: datetime
) -> int:
    """Put delivered-but-refused rows (MessageRateExceeded receipt) back in the queue, while they have
    attempts left; the receipt stays recorded until the resend stores a new ticket."""
    if not ids:
        return 0
    result = await connection.execute(
        sa.update(push_deliveries)
        .where(push_deliveries.c.id == sa.any_(_IDS), push_deliveries.c.attempts < max_attempts)
        .values(
            status="pending",
            ticket_id=sa.null(),
            **_UNCLAIMED,
            next_attempt_at=sa.bindparam("retry_at", type_=_TSTZ),
            updated_at=_NOW,
        ),
        {"ids": list(ids), "retry_at": retry_at, "now": now},
    )
    return int(result.rowcount)


async def redrive_exhausted(
    connection: AsyncConnection, *, created_since: datetime, now: datetime, dry_run: bool = False
) -> int:
    """Put the deliveries that ran out of retries (ticket_error RetriesExhausted) created since
    `created_since` back in the queue, due now, and reopen their inbox rows that had failed; returns
    how many deliveries. A timed notice still meets the staleness bound when it is claimed again.
    With `dry_run`, only counts them."""
    exhausted = sa.and_(
        push_deliveries.c.status == "failed",
        push_deliveries.c.ticket_error == RETRIES_EXHAUSTED,
        push_deliveries.c.created_at >= sa.bindparam("since", type_=_TSTZ),
    )
    params = {"since": created_since, "now": now}
    if dry_run:
        counted = await connection.execute(
            sa.select(sa.func.count()).select_from(push_deliveries).where(exhausted), params
        )
        return int(counted.scalar_one())
    redriven = (
        sa.update(push_deliveries)
        .where(exhausted)
        .values(
            status="pending",
            ticket_error=sa.null(),
            **_UNCLAIMED,
            next_attempt_at=_NOW,
            updated_at=_NOW,
        )
        .returning(push_deliveries.c.notification_id)
        .cte("redriven")
    )
    # Only inbox rows that had failed: one whose other device got the push stays sent.
    reopened = (
        sa.update(notification_history)
        .where(
            notification_history.c.id.in_(sa.select(redriven.c.notification_id)),
            notification_history.c.push_status == "failed",
        )
        .values(push_status="pending", failed_at=sa.null(), failure_reason=sa.null(), updated_at=_NOW)
        .returning(notification_history.c.id)
        .cte("reopened")
    )
    result = await connection.execute(
        sa.select(sa.func.count()).select_from(redriven).add_cte(reopened), params
    )
    return int(result.scalar_one())


# --- Retention ----------------------------------------------------------------------------------------


async def prune_deliveries(connection: AsyncConnection, *, created_before: datetime, limit: int) -> int:
    """Delete the `limit` oldest finished rows created before `created_before`; returns how many went.

    Oldest first through ix_push_deliveries_finished_created, so a run reads only the rows it
    deletes: paging by id instead walked the whole table each hour, since an hourly run finds only
    about one row in 26 old enough (7 M rows: 12,644 read per batch of 500). Pending rows are never
    pruned; rows another transaction holds are left for the next run.

    `= ANY(ARRAY(…))` rather than `IN (subquery)`: the generic plan of the IN form hash-joined the
    batch against a sequential scan of the whole table (338 ms on 728K rows, bench.plans.explain);
    this form fetches the batch's rows by primary key in either plan mode."""
    batch = (
        sa.select(push_deliveries.c.id)
        .where(is_not_pending(push_deliveries.c.status), push_deliveries.c.created_at < created_before)
        .order_by(push_deliveries.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await connection.execute(
        sa.delete(push_deliveries).where(push_deliveries.c.id == sa.any_(sa.func.array(batch)))
    )
    return int(result.rowcount)
