"""Receipt records, their wire shapes and their lifecycle (§4.7)."""

from __future__ import annotations

from collections import deque
from operator import itemgetter
from typing import Any, Final

OK = "ok"
LOST = "lost"

# Wording follows Expo's docs and the Python SDK docstrings, so log parsers written against either work.
_RECEIPT_MESSAGES: dict[str, str] = {
    "DeviceNotRegistered": '"{token}" is not a registered push notification recipient',
    "MessageTooBig": (
        "The notification was too large. On Android and iOS, the total payload must be at most 4096 bytes."
    ),
    "MessageRateExceeded": (
        "The notification was sent to the device too frequently. Implement exponential backoff and retry."
    ),
    "MismatchSenderId": "The FCM sender ID does not match the FCM credentials used to send the notification.",
    "ProviderError": "The push provider returned an error (fault: fcm).",
    "InvalidCredentials": (
        "The push notification credentials for your standalone app are invalid (InvalidProviderToken)."
    ),
    "ExpoError": "An unknown error occurred while delivering the notification.",
}
_OK_BODY: dict[str, Any] = {"status": "ok"}

# A record is an exact tuple of atomic values: (id, token, project, created_at, visible_at, outcome).
# Not a class or NamedTuple on purpose: CPython's cyclic GC stops tracking exact tuples of atomics, and
# with millions of tracked records every full collection used to walk the whole store.
# `outcome` is "ok", an error code, or "lost" (noreceipt-); wire bodies are derived on demand.
ReceiptRecord = tuple[str, str, str, float, float, str]
ID: Final = 0
TOKEN: Final = 1
PROJECT: Final = 2
CREATED_AT: Final = 3
VISIBLE_AT: Final = 4
OUTCOME: Final = 5


_record_id = itemgetter(ID)


def receipt_error_body(code: str, token: str) -> dict[str, Any]:
    details: dict[str, Any] = {"error": code}
    if code == "DeviceNotRegistered":
        details["expoPushToken"] = token
    elif code == "ProviderError":
        # The real-world shape seen in production (§1.5), not the documented one.
        details["fault"] = "fcm"
        details["fcm"] = {"error": "MismatchSenderId"}
    message = _RECEIPT_MESSAGES.get(code, "An unknown error occurred.").format(token=token)
    return {"status": "error", "message": message, "details": details}


def wire_receipt(record: ReceiptRecord) -> dict[str, Any]:
    outcome = record[OUTCOME]
    return _OK_BODY if outcome == OK else receipt_error_body(outcome, record[TOKEN])


class ReceiptStore:
    def __init__(self) -> None:
        self._by_id: dict[str, ReceiptRecord] = {}
        # Creation order equals expiry order (the clock never goes back), so purging only looks at the head.
        self._order: deque[ReceiptRecord] = deque()
        self._fetched: set[str] = set()

    def __len__(self) -> int:
        return len(self._by_id)

    def add_many(self, records: list[ReceiptRecord]) -> None:
        self._by_id.update(zip(map(_record_id, records), records, strict=True))
        self._order.extend(records)

    def get(self, receipt_id: str) -> ReceiptRecord | None:
        return self._by_id.get(receipt_id)

    def mark_fetched(self, receipt_id: str) -> None:
        self._fetched.add(receipt_id)

    def was_fetched(self, receipt_id: str) -> bool:
        return receipt_id in self._fetched

    def purge_expired(self, now: float, ttl_s: float) -> list[tuple[ReceiptRecord, bool]]:
        """Drop records older than the ttl; returns (record, was_fetched) for each."""
        order = self._order
        cutoff = now - ttl_s
        purged: list[tuple[ReceiptRecord, bool]] = []
        while order and order[0][CREATED_AT] <= cutoff:
            record = order.popleft()
            del self._by_id[record[ID]]
            fetched = record[ID] in self._fetched
            if fetched:
                self._fetched.discard(record[ID])
            purged.append((record, fetched))
        return purged

    def debug(self, record: ReceiptRecord, now: float, ttl_s: float) -> dict[str, Any]:
        outcome = record[OUTCOME]
        if outcome == LOST:
            state = "lost"
        elif now < record[VISIBLE_AT]:
            state = "pending"
        else:
            state = "visible"
        return {
            "id": record[ID],
            "token": record[TOKEN],
            "project": record[PROJECT],
            "created_at": record[CREATED_AT],
            "visible_at": None if outcome == LOST else record[VISIBLE_AT],
            "expires_at": record[CREATED_AT] + ttl_s,
            "state": state,
            "fetched": self.was_fetched(record[ID]),
            "outcome": outcome,
            "receipt": None if outcome == LOST else wire_receipt(record),
        }
