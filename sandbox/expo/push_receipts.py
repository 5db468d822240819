"""`POST /--/api/v2/push/getReceipts` (§4.7): unknown, pending and expired ids are simply left out."""

from __future__ import annotations

from typing import Any

from .asgi_io import BodyDecodeError, Receive, Request, Response, error_response, json_decode, json_encode
from .receipts import LOST, OUTCOME, PROJECT, TOKEN, VISIBLE_AT, wire_receipt
from .request_body import check_auth, outage_response, read_request_body
from .state import SandboxState
from .tokens import DEFAULT_PROJECT

_DNR = "DeviceNotRegistered"


async def handle_get_receipts(
    state: SandboxState, request: Request, receive: Receive
) -> tuple[str, Response]:
    config = state.config
    state.purge_expired_receipts()
    outage = outage_response(state)
    if outage is not None:
        state.project(DEFAULT_PROJECT).fault_injected["outage"] += 1
        return DEFAULT_PROJECT, outage
    body = await read_request_body(config, request, receive)
    if isinstance(body, Response):
        return DEFAULT_PROJECT, body
    denied = check_auth(config, request)
    if denied is not None:
        return DEFAULT_PROJECT, denied
    try:
        payload = json_decode(body.decoded)
    except BodyDecodeError as exc:
        return DEFAULT_PROJECT, error_response(400, "VALIDATION_ERROR", str(exc))
    ids = _ids_or_none(payload)
    if ids is None:
        return DEFAULT_PROJECT, error_response(
            400, "VALIDATION_ERROR", '"ids" must be an array of strings', {"path": "ids"}
        )

    receipts = state.receipts
    project = next(
        (record[PROJECT] for record in map(receipts.get, ids) if record is not None), DEFAULT_PROJECT
    )
    limit = config.max_receipt_ids_per_request
    if len(ids) > limit:
        return project, error_response(
            400,
            "PUSH_TOO_MANY_RECEIPTS",
            f"You can request a maximum of {limit} receipts per request (received {len(ids)}); "
            "divide your requests.",
        )
    rps = config.receipts_rate_limit_rps
    if rps > 0:
        mono = state.monotonic()
        if state.receipt_window.total(mono) >= rps:
            return project, error_response(
                429, "TOO_MANY_REQUESTS", f"Exceeded {rps} receipt requests per second, please try again."
            )
        state.receipt_window.add(mono, 1)

    now = state.clock.now()
    registry = state.registry
    found: dict[str, Any] = {}
    for receipt_id in ids:
        record = receipts.get(receipt_id)
        if record is None or record[OUTCOME] == LOST or record[VISIBLE_AT] > now:
            continue
        found[receipt_id] = wire_receipt(record)
        receipts.mark_fetched(receipt_id)
        if record[OUTCOME] == _DNR:
            # Expo has now "learned" the token is dead: later sends get a ticket-level DNR (§4.6).
            registry.mark_told(record[TOKEN])
    stats = state.project(project)
    stats.receipt_ids_requested += len(ids)
    returned = sum(1 for receipt_id in ids if receipt_id in found)
    stats.receipt_ids_returned += returned
    stats.receipt_ids_omitted += len(ids) - returned
    return project, Response(200, json_encode({"data": found}))


def _ids_or_none(payload: Any) -> list[str] | None:
    if not isinstance(payload, dict):
        return None
    ids = payload.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return None
    return ids
