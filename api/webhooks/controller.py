"""POST /webhooks/revenuecat: billing events from RevenueCat (§3.8).

No bearer token (the path is public in api/auth/jwt.py); instead the Authorization header must equal
REVENUECAT_WEBHOOK_SECRET, compared in constant time, checked by a guard before the body is read.
The event is stored by its event id first (a replay answers "duplicate" and changes nothing), then
applied in a savepoint; a failure is stored with the event (status failed) for the retry job and
still answers 200, so RevenueCat does not retry what the server already holds.

NUL characters are stripped from the body rather than refused (api/request_input.py): RevenueCat
would retry a refused body unchanged for days and the purchase would never be applied, and a NUL can
only come from what the app sets (subscriber attributes, aliases), never from the ids, types, products
and instants the server reads, so removing it changes nothing that is applied.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.request_input import STRIP_NUL_CHARACTERS
from api.resources import app_resources
from db.webhook_events import record_webhook_event
from domain.errors import InvalidInput
from services.billing.events import process_webhook_event
from services.billing.revenuecat import InvalidBillingEvent, read_event_header
from services.product_events import ProductEvent, track_after_commit
from services.transaction import Transaction


class WebhookAckOut(msgspec.Struct):
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

    @post("/revenuecat", status_code=HTTP_200_OK, opt=STRIP_NUL_CHARACTERS)
    async def receive(
        self,
        request: Request[Any, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        data: JSONBody[dict[str, Any]],
    ) -> WebhookAckOut:
        try:
            header = read_event_header(data)
        except InvalidBillingEvent as error:
            raise InvalidInput(str(error), code="invalid_billing_event") from error
        stored = await record_webhook_event(tx.connection, header, data)
        if stored is None:
            return WebhookAckOut(status="duplicate")
        outcome = await process_webhook_event(tx, stored, is_retry=False, now=now)
        if outcome.user_id is not None:
            track_after_commit(
                tx,
                app_resources(request.app).product_events,
                outcome.user_id,
                ProductEvent.SUBSCRIPTION_CHANGED,
                event_type=outcome.event_type,
            )
        return WebhookAckOut(status="ok")
