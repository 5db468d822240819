"""RevenueCat webhook payloads (api_version 1.0) read into the billing event the server applies.

Shape: ``{"api_version": "1.0", "event": {"id", "type", "app_user_id", "product_id",
"event_timestamp_ms", "purchased_at_ms", "expiration_at_ms", "period_type", "environment", "store",
"transferred_from", "transferred_to", "cancel_reason", "grace_period_expiration_at_ms",
"new_product_id", ...}}``. RevenueCat adds fields over time, so unknown fields are accepted (unlike
the API's own bodies). The app logs users in to RevenueCat with their FitNudge user id, so
app_user_id (or one of the aliases, for a purchase made before login) is our users.id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final

import msgspec

from db.webhook_events import EventHeader

__all__ = [
    "BillingEvent",
    "BillingEventType",
    "InvalidBillingEvent",
    "parse_billing_event",
    "read_event_header",
    "store_product_id",
]


class InvalidBillingEvent(ValueError):
    """The payload lacks what processing needs (the stored event is marked failed with this text)."""


class BillingEventType(StrEnum):
    """The event types that change a subscription (§3.8). Others (TEST, SUBSCRIPTION_PAUSED, …) are
    stored and completed without effect."""

    INITIAL_PURCHASE = "INITIAL_PURCHASE"
    RENEWAL = "RENEWAL"
    UNCANCELLATION = "UNCANCELLATION"
    CANCELLATION = "CANCELLATION"
    EXPIRATION = "EXPIRATION"
    BILLING_ISSUE = "BILLING_ISSUE"
    PRODUCT_CHANGE = "PRODUCT_CHANGE"
    TRANSFER = "TRANSFER"
    NON_RENEWING_PURCHASE = "NON_RENEWING_PURCHASE"
    SUBSCRIPTION_EXTENDED = "SUBSCRIPTION_EXTENDED"


# RevenueCat store → subscriptions.platform (CHECK ios, android, web); other stores leave it NULL.
_PLATFORM_OF_STORE: Final = {
    "APP_STORE": "ios",
    "MAC_APP_STORE": "ios",
    "PLAY_STORE": "android",
    "AMAZON": "android",
    "STRIPE": "web",
    "RC_BILLING": "web",
    "PADDLE": "web",
}
_ENVIRONMENTS: Final = frozenset({"SANDBOX", "PRODUCTION"})
_TRIAL_PERIOD: Final = "TRIAL"

_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class _HeaderEvent(msgspec.Struct):
    id: _Id
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    app_user_id: str | None = None


class _HeaderEnvelope(msgspec.Struct):
    event: _HeaderEvent


class _Event(msgspec.Struct):
    id: _Id
    type: str
    event_timestamp_ms: int
    app_user_id: str | None = None
    original_app_user_id: str | None = None
    aliases: tuple[str, ...] = ()
    product_id: str | None = None
    new_product_id: str | None = None
    period_type: str | None = None
    purchased_at_ms: int | None = None
    expiration_at_ms: int | None = None
    grace_period_expiration_at_ms: int | None = None
    environment: str | None = None
    store: str | None = None
    cancel_reason: str | None = None
    transaction_id: str | None = None
    original_transaction_id: str | None = None
    transferred_from: tuple[str, ...] = ()
    transferred_to: tuple[str, ...] = ()


class _Envelope(msgspec.Struct):
    event: _Event


@dataclass(frozen=True, slots=True)
class BillingEvent:
    event_id: str
    event_type: str
    occurred_at: datetime
    # The ids this event may concern, in preference order: app_user_id, original_app_user_id, aliases.
    user_candidates: tuple[str, ...]
    product_id: str | None
    new_product_id: str | None
    is_trial: bool
    purchased_at: datetime | None
    expires_at: datetime | None
    grace_period_ends_at: datetime | None
    environment: str | None
    platform: str | None
    cancel_reason: str | None
    transaction_id: str | None
    original_transaction_id: str | None
    transferred_from: tuple[str, ...]
    transferred_to: tuple[str, ...]


def read_event_header(payload: object) -> EventHeader:
    try:
        event = msgspec.convert(payload, _HeaderEnvelope).event
    except msgspec.ValidationError as error:
        raise InvalidBillingEvent(f"not a RevenueCat event: {error}") from error
    return EventHeader(event.id, event.type, event.app_user_id)


def parse_billing_event(payload: object) -> BillingEvent:
    try:
        event = msgspec.convert(payload, _Envelope).event
    except msgspec.ValidationError as error:
        raise InvalidBillingEvent(f"malformed RevenueCat event: {error}") from error
    return BillingEvent(
        event_id=event.id,
        event_type=event.type,
        occurred_at=_instant(event.event_timestamp_ms),
        user_candidates=_unique((event.app_user_id, event.original_app_user_id, *event.aliases)),
        product_id=event.product_id,
        new_product_id=event.new_product_id,
        is_trial=event.period_type == _TRIAL_PERIOD,
        purchased_at=_optional_instant(event.purchased_at_ms),
        expires_at=_optional_instant(event.expiration_at_ms),
        grace_period_ends_at=_optional_instant(event.grace_period_expiration_at_ms),
        environment=event.environment if event.environment in _ENVIRONMENTS else None,
        platform=_PLATFORM_OF_STORE.get(event.store or ""),
        cancel_reason=event.cancel_reason,
        transaction_id=event.transaction_id,
        original_transaction_id=event.original_transaction_id,
        transferred_from=_unique(event.transferred_from),
        transferred_to=_unique(event.transferred_to),
    )


def store_product_id(product_id: str | None) -> str | None:
    """The store product id without a Google Play base plan: RevenueCat reports Play subscriptions as
    "<subscription id>:<base plan id>", while the plans table lists the subscription id."""
    return product_id.split(":", 1)[0] if product_id else None


def _instant(milliseconds: int) -> datetime:
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidBillingEvent(f"timestamp out of range: {milliseconds}") from error


def _optional_instant(milliseconds: int | None) -> datetime | None:
    return None if milliseconds is None else _instant(milliseconds)


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
