"""check_push_receipts (docs/domain.md §4): fetch the receipts of tickets sent at least
PUSH_RECEIPT_DELAY_SECONDS ago.

Batches of 1000 ids, walked in (sent_at, id) order so tickets whose receipt is not ready yet do not
block the ones behind them. Per batch: one statement reads the tickets (no lock), getReceipts is called
outside any transaction, and one short transaction records the outcomes, only on rows that still await
that ticket's receipt; so a slow Expo holds no row lock and no connection, and two overlapping runs may
both ask Expo for a batch (a read) but apply its outcomes once. Per receipt:
receipt_status and receipt_error are recorded; DeviceNotRegistered deactivates the tokens (one
statement per batch); MessageRateExceeded puts the delivery back in the queue while it has attempts
left; the errors that mean a bug or a broken configuration (InvalidCredentials, MismatchSenderId,
MessageTooBig) are logged at error level and counted. A missing receipt is asked for again on the next
run, and given up after 24 h, when Expo has deleted it, in batches of EXPIRE_BATCH_SIZE rows, each its
own transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from exponent_server_sdk import PushReceipt

from db.push_deliveries import (
    AwaitingReceipt,
    ReceiptOutcome,
    deactivate_tokens_of,
    deliveries_awaiting_receipt,
    expire_missing_receipts,
    record_receipts,
    requeue_for_resend,
)
from services.addresses import PUSH_DELIVER
from services.transaction import Database, Transaction
from workers.batch_progress import batch_committed
from workers.push.delivery import backoff_seconds, wake_delay_ms
from workers.push.expo_client import MAX_RECEIPT_IDS_PER_REQUEST, ExpoPushClient, ExpoRequestError

logger = logging.getLogger(__name__)

# Expo deletes receipts after 24 hours (docs/push-contract.md §1.5).
RECEIPT_LIFETIME: Final = timedelta(hours=24)
# A MessageRateExceeded receipt puts the push back in the queue while its attempts (sends so far,
# this one included) are below this: Expo accepted the request, so the outage policy of a send does
# not apply, and a device Expo keeps throttling is not hammered.
MAX_RESENDS_AFTER_RECEIPT: Final = 4
# Rows given up per transaction: a day of lost receipts must not become one long statement.
EXPIRE_BATCH_SIZE: Final = 1000
MISMATCH_SENDER_ID: Final = "MismatchSenderId"
# Receipt errors that mean our credentials, sender setup or payloads are wrong, not the device.
ALERTING_ERRORS: Final = frozenset(
    {PushReceipt.INVALID_CREDENTIALS, MISMATCH_SENDER_ID, PushReceipt.ERROR_MESSAGE_TOO_BIG}
)


@dataclass(slots=True)
class ReceiptReport:
    checked: int = 0
    ok: int = 0
    missing: int = 0
    expired: int = 0
    deactivated: int = 0
    resend: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)


def receipt_error_names(receipt: PushReceipt) -> tuple[str, set[str]]:
    """The receipt's error name, and every error name in it including a provider's nested one
    (`{"error":"ProviderError","fault":"fcm","fcm":{"error":"MismatchSenderId"}}`)."""
    details: Any = receipt.details if isinstance(receipt.details, dict) else {}
    error = str(details.get("error") or "UnknownReceiptError")
    names = {error}
    fault = details.get("fault")
    nested = details.get(fault) if isinstance(fault, str) else None
    if isinstance(nested, dict) and nested.get("error"):
        names.add(str(nested["error"]))
    return error, names


async def check_push_receipts(
    database: Database,
    client: ExpoPushClient,
    *,
    delay: timedelta,
    now: datetime,
    expire_batch_size: int = EXPIRE_BATCH_SIZE,
) -> ReceiptReport:
    report = ReceiptReport()
    report.expired = await expire_lost_receipts(
        database, sent_before=now - RECEIPT_LIFETIME, now=now, batch_size=expire_batch_size
    )
    after: tuple[datetime, UUID] | None = None
    while True:
        async with database.single_statement() as connection:
            batch = await deliveries_awaiting_receipt(
                connection, sent_before=now - delay, after=after, limit=MAX_RECEIPT_IDS_PER_REQUEST
            )
        if not batch:
            break
        try:
            receipts = await client.get_receipts([row.ticket_id for row in batch])
        except ExpoRequestError as error:
            logger.error("push receipts: getReceipts failed (%s: %s); next run retries", error.code, error)
            break
        async with database.transaction() as tx:
            await _apply(tx, batch, receipts, report, now)
        batch_committed()
        if len(batch) < MAX_RECEIPT_IDS_PER_REQUEST:
            break
        after = (batch[-1].sent_at, batch[-1].id)
    if report.alerts:
        logger.error("push receipts: configuration or payload errors from Expo: %s", dict(report.alerts))
    return report


async def expire_lost_receipts(
    database: Database, *, sent_before: datetime, now: datetime, batch_size: int
) -> int:
    """Give up on every ticket sent before `sent_before` still without a receipt, `batch_size` rows per
    transaction; returns how many."""
    expired = 0
    while True:
        async with database.transaction() as tx:
            batch = await expire_missing_receipts(
                tx.connection, sent_before=sent_before, now=now, limit=batch_size
            )
        batch_committed()
        expired += batch
        if batch < batch_size:
            return expired


async def _apply(
    tx: Transaction,
    batch: list[AwaitingReceipt],
    receipts: dict[str, PushReceipt],
    report: ReceiptReport,
    now: datetime,
) -> None:
    outcomes: list[ReceiptOutcome] = []
    error_names: dict[UUID, set[str]] = {}
    for row in batch:
        receipt = receipts.get(row.ticket_id)
        if receipt is None:
            report.missing += 1
        elif receipt.is_success():
            outcomes.append(ReceiptOutcome(row.id, row.ticket_id, "ok", None))
        else:
            error_name, error_names[row.id] = receipt_error_names(receipt)
            outcomes.append(ReceiptOutcome(row.id, row.ticket_id, "error", error_name))
    recorded = await record_receipts(tx.connection, outcomes, now=now)
    # Only the receipts recorded here act: the others were recorded by a concurrent run, which acted.
    dnr_ids, rate_limited_ids = [], []
    for outcome in outcomes:
        if outcome.id not in recorded:
            continue
        report.checked += 1
        error = outcome.receipt_error
        if error is None:
            report.ok += 1
            continue
        report.errors[error] += 1
        for name in error_names[outcome.id] & ALERTING_ERRORS:
            report.alerts[name] += 1
        if error == PushReceipt.ERROR_DEVICE_NOT_REGISTERED:
            dnr_ids.append(outcome.id)
        elif error == PushReceipt.ERROR_MESSAGE_RATE_EXCEEDED:
            rate_limited_ids.append(outcome.id)
    report.deactivated += await deactivate_tokens_of(tx.connection, dnr_ids, now=now)
    delay = backoff_seconds(1)
    resend = await requeue_for_resend(
        tx.connection,
        rate_limited_ids,
        retry_at=now + timedelta(seconds=delay),
        max_attempts=MAX_RESENDS_AFTER_RECEIPT,
        now=now,
    )
    report.resend += resend
    if resend:
        tx.enqueue(PUSH_DELIVER, delay_ms=wake_delay_ms(delay))
