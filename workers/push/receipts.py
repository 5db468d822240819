"""check_push_receipts (domain.md §4): fetch the receipts of tickets sent ≥ PUSH_RECEIPT_DELAY_SECONDS ago.

Batches of 1000 ids, walked in (sent_at, id) order so tickets whose receipt is not ready yet do not
block the ones behind them; each batch is locked (SKIP LOCKED) for the length of its one getReceipts
call, so two overlapping runs split the work instead of doubling it. Per receipt: receipt_status and
receipt_error are recorded; DeviceNotRegistered deactivates the tokens (one statement per batch);
MessageRateExceeded puts the delivery back in the queue while it has attempts left; the errors that
mean a bug or a broken configuration (InvalidCredentials, MismatchSenderId, MessageTooBig) are logged
at error level and counted. A missing receipt is asked for again on the next run, and given up after
24 h, when Expo has deleted it.
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
from workers.push.delivery import MAX_SEND_ATTEMPTS, backoff_seconds, wake_delay_ms
from workers.push.expo_client import MAX_RECEIPT_IDS_PER_REQUEST, ExpoPushClient, ExpoRequestError

logger = logging.getLogger(__name__)

# Expo deletes receipts after 24 hours (expo.md §1.5).
RECEIPT_LIFETIME: Final = timedelta(hours=24)
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
    database: Database, client: ExpoPushClient, *, delay: timedelta, now: datetime
) -> ReceiptReport:
    report = ReceiptReport()
    async with database.transaction() as tx:
        report.expired = await expire_missing_receipts(
            tx.connection, sent_before=now - RECEIPT_LIFETIME, now=now
        )
    after: tuple[datetime, UUID] | None = None
    while True:
        async with database.transaction() as tx:
            batch = await deliveries_awaiting_receipt(
                tx.connection, sent_before=now - delay, after=after, limit=MAX_RECEIPT_IDS_PER_REQUEST
            )
            if not batch:
                break
            try:
                receipts = await client.get_receipts([row.ticket_id for row in batch])
            except ExpoRequestError as error:
                logger.error(
                    "push receipts: getReceipts failed (%s: %s); next run retries", error.code, error
                )
                break
            await _apply(tx, batch, receipts, report, now)
        if len(batch) < MAX_RECEIPT_IDS_PER_REQUEST:
            break
        after = (batch[-1].sent_at, batch[-1].id)
    if report.alerts:
        logger.error("push receipts: configuration or payload errors from Expo: %s", dict(report.alerts))
    return report


async def _apply(
    tx: Transaction,
    batch: list[AwaitingReceipt],
    receipts: dict[str, PushReceipt],
    report: ReceiptReport,
    now: datetime,
) -> None:
    outcomes, dnr_ids, rate_limited_ids = [], [], []
    for row in batch:
        receipt = receipts.get(row.ticket_id)
        if receipt is None:
            report.missing += 1
            continue
        if receipt.is_success():
            outcomes.append(ReceiptOutcome(row.id, "ok", None))
            report.ok += 1
            continue
        error, names = receipt_error_names(receipt)
        outcomes.append(ReceiptOutcome(row.id, "error", error))
        report.errors[error] += 1
        for name in names & ALERTING_ERRORS:
            report.alerts[name] += 1
        if error == PushReceipt.ERROR_DEVICE_NOT_REGISTERED:
            dnr_ids.append(row.id)
        elif error == PushReceipt.ERROR_MESSAGE_RATE_EXCEEDED:
            rate_limited_ids.append(row.id)
    report.checked += len(outcomes)
    await record_receipts(tx.connection, outcomes, now=now)
    report.deactivated += await deactivate_tokens_of(tx.connection, dnr_ids, now=now)
    delay = backoff_seconds(1)
    resend = await requeue_for_resend(
        tx.connection,
        rate_limited_ids,
        retry_at=now + timedelta(seconds=delay),
        max_attempts=MAX_SEND_ATTEMPTS,
        now=now,
    )
    report.resend += resend
    if resend:
        tx.enqueue(PUSH_DELIVER, delay_ms=wake_delay_ms(delay))
