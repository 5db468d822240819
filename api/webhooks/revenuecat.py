"""POST /webhooks/revenuecat: billing events from RevenueCat (§3.8).

No bearer token (the path is public in api/auth/jwt.py); instead the Authorization header must equal
REVENUECAT_WEBHOOK_SECRET, compared in constant time, checked by a guard before the body is read.
The event is stored by its event id first (a replay answers "duplicate" and changes nothing), then
applied in a savepoint; a failure is stored with the event (status failed) for the retry job and
still answers 200, so RevenueCat does not retry what the server already holds.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.resources import app_resources
from db.webhook_events import record_webhook_event
from domain.errors import InvalidInput
from services.billing.events import process_webhook_event
from services.billing.revenuecat import InvalidBillingEvent, read_event_header
from services.transaction import Transaction


class WebhookAck(msgspec.Struct):
    status: Literal["ok", "duplicate"]


def require_webhook_secret(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    expected = app_resources(connection.app).settings.revenuecat_webhook_secret
    presented = connection.headers.get("Authorization", "")
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthorizedException("The webhook authorization is not valid.")


class RevenueCatWebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    guards = [require_webhook_secret]

    @post("/revenuecat", status_code=HTTP_200_OK)
    async def receive(
        self,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        data: JSONBody[dict[str, Any]],
    ) -> WebhookAck:
        try:
            header = read_event_header(data)
        except InvalidBillingEvent as error:
            raise InvalidInput(str(error), code="invalid_billing_event") from error
        stored = await record_webhook_event(tx.connection, header, data)
        if stored is None:
            return WebhookAck(status="duplicate")
        await process_webhook_event(tx, stored, is_retry=False, now=now)
        return WebhookAck(status="ok")
