"""`POST /--/api/v2/push/send`: the §4.4 pipeline, in order."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from .asgi_io import (
    BodyDecodeError,
    Receive,
    Request,
    Response,
    error_response,
    html_response,
    json_decode,
    json_encode,
)
from .duplicates import message_fingerprints
from .receipts import LOST, OK, ReceiptRecord
from .request_body import Body, check_auth, outage_response, read_request_body, server_error
from .state import SandboxState
from .stats import ProjectStats
from .tokens import BEHAVIOUR_RECEIPT_ERRORS, DEFAULT_PROJECT, NO_PROJECT, TokenInfo, experience_id
from .validation import ValidationFailure, validate_messages

SLOW_RECEIPT_EXTRA_S = 20 * 60
_PAYLOAD_FIELDS = ("title", "body", "subtitle", "data", "sound")
_PAYLOAD_OVERHEAD = 100
_DNR = "DeviceNotRegistered"
_plain = attrgetter("plain")
_project = attrgetter("project")
_token = attrgetter("token")
_to = itemgetter("to")
_dnr_bucket = attrgetter("dnr_bucket")


def _account_bytes(stats: ProjectStats, body: Body) -> None:
    stats.bytes_in_wire += body.wire_bytes
    stats.bytes_in_decoded += len(body.decoded)
    if body.compressed:
        stats.gzip_requests += 1


async def handle_send(state: SandboxState, request: Request, receive: Receive) -> tuple[str, Response]:
    """Return (project the request is attributed to, response). Nothing here awaits after the body is read,
    so each request's state changes are atomic with respect to other requests on the loop."""
    config = state.config
    state.purge_expired_receipts()
    outage = outage_response(state)
    if outage is not None:
        state.project(DEFAULT_PROJECT).fault_injected["outage"] += 1
        return DEFAULT_PROJECT, outage

    # 1. Transport
    body = await read_request_body(config, request, receive)
    if isinstance(body, Response):
        return DEFAULT_PROJECT, body

    # 2. Auth
    denied = check_auth(config, request)
    if denied is not None:
        _account_bytes(state.project(DEFAULT_PROJECT), body)
        return DEFAULT_PROJECT, denied

    # 3. Parse
    try:
        payload = json_decode(body.decoded)
    except BodyDecodeError as exc:
        _account_bytes(state.project(DEFAULT_PROJECT), body)
        return DEFAULT_PROJECT, error_response(400, "VALIDATION_ERROR", str(exc))
    single = isinstance(payload, dict)
    if single:
        messages: list[Any] = [payload]
    elif isinstance(payload, list):
        messages = payload
    else:
        _account_bytes(state.project(DEFAULT_PROJECT), body)
        return DEFAULT_PROJECT, error_response(
            400, "VALIDATION_ERROR", '"value" must be an object or an array of objects', {"path": "value"}
        )
    if not messages:
        _account_bytes(state.project(DEFAULT_PROJECT), body)
        return DEFAULT_PROJECT, Response(200, b'{"data":[]}')

    # 4. Shape validation: the first failure rejects the whole request
    try:
        validate_messages(messages, strict_unknown_fields=config.strict_unknown_fields)
    except ValidationFailure as failure:
        _account_bytes(state.project(DEFAULT_PROJECT), body)
        return DEFAULT_PROJECT, error_response(
            400, "VALIDATION_ERROR", failure.message, {"path": failure.path}
        )

    # 5. Count recipients (a list `to` counts once per token)
    tokens: list[str] = list(map(_to, messages))
    if not all(map(isinstance, tokens, repeat(str))):
        tokens = [token for to in tokens for token in ([to] if type(to) is str else to)]
    infos = state.tokens.infos(tokens)
    recipients = len(infos)
    projects = set(map(_project, infos))
    projects.discard(NO_PROJECT)
    project = next(iter(projects)) if len(projects) == 1 else _first_project(infos)
    stats = state.project(project)
    _account_bytes(stats, body)
    stats.recipients_received += recipients
    limit = config.max_notifications_per_request
    if recipients > limit:
        return project, error_response(
            400,
            "PUSH_TOO_MANY_NOTIFICATIONS",
            f"You can send a maximum of {limit} notifications per request (received {recipients}); "
            "divide your requests.",
        )

    # 6. Project check
    if len(projects) > 1:
        return project, _too_many_experiences(infos)

    # Reset happens "before processing": nothing of this request may be recorded, not even rate budget.
    if state.faults.roll(config.fault_reset_rate):
        stats.fault_injected["reset"] += 1
        return project, Response(0, reset=True)

    # 7. Rate limit, all-or-nothing
    mono = state.monotonic()
    if not state.limiter.try_admit(project, recipients, mono):
        stats.recipients_rate_limited += recipients
        per_second = config.rate_limit_per_second
        response = error_response(
            429, "TOO_MANY_REQUESTS", f"Exceeded {per_second} notifications per second, please try again."
        )
        if config.retry_after_header:
            wait = state.limiter.retry_after_s(project, recipients, mono)
            response.headers.append((b"retry-after", str(wait).encode()))
        return project, response
    stats.note_admitted(recipients, mono)

    # 8. Faults, after admission: a 5xx here models "accepted by the edge, failed behind it"
    if state.faults.roll(config.fault_5xx_rate):
        stats.fault_injected["5xx"] += 1
        return project, server_error(*state.faults.pick_5xx())
    timeout_after_accept = state.faults.roll(config.fault_504_after_accept_rate)
    reset_after_accept = state.faults.roll(config.fault_reset_after_accept_rate)

    # 9. Tickets
    tickets = _issue_tickets(state, stats, project, messages, infos)
    if timeout_after_accept:
        stats.fault_injected["504_after_accept"] += 1
        return project, html_response(504, "Gateway Timeout")
    if reset_after_accept:
        stats.fault_injected["reset_after_accept"] += 1
        return project, Response(0, reset=True)

    # 10. Response: the docs' single-object case gets a single ticket object
    if single and type(payload["to"]) is str:
        return project, Response(200, ('{"data":' + tickets.fragment(0) + "}").encode())
    return project, Response(200, ('{"data":' + tickets.data_json() + "}").encode())


def _first_project(infos: list[TokenInfo]) -> str:
    return next((i.project for i in infos if i.well_formed), DEFAULT_PROJECT)


def _too_many_experiences(infos: list[TokenInfo]) -> Response:
    by_experience: dict[str, list[str]] = {}
    for i in infos:
        if i.well_formed:
            tokens = by_experience.setdefault(experience_id(i.project), [])
            if i.token not in tokens:
                tokens.append(i.token)
    return error_response(
        400,
        "PUSH_TOO_MANY_EXPERIENCE_IDS",
        "All push notification messages in the same request must be for the same project; "
        f"found {len(by_experience)} projects: {', '.join(by_experience)}.",
        by_experience,
    )


def _too_big(message: dict[str, Any], encoded_size: int, max_payload: int) -> bool:
    """A rough stand-in for what Expo would hand to APNs/FCM (§4.6).

    `encoded_size` is the whole message's compact JSON size: an upper bound (same encoder, superset of
    keys) that settles almost every message without building the provider subset.
    """
    if max_payload <= 0 or encoded_size + _PAYLOAD_OVERHEAD <= max_payload:
        return False
    subset = {k: message[k] for k in _PAYLOAD_FIELDS if k in message}
    return len(json_encode(subset)) + _PAYLOAD_OVERHEAD > max_payload


def _dnr_ticket(token: str, message: str) -> str:
    ticket = {"status": "error", "message": message, "details": {"error": _DNR, "expoPushToken": token}}
    return json_encode(ticket).decode()


class _Tickets:
    """Tickets in flattened order: receipt ids for ok tickets, pre-encoded JSON for error tickets."""

    __slots__ = ("errors", "ids")

    def __init__(self, ids: list[str | None]) -> None:
        self.ids = ids
        self.errors: dict[int, str] = {}

    def fragment(self, index: int) -> str:
        receipt_id = self.ids[index]
        return self.errors[index] if receipt_id is None else f'{{"status":"ok","id":"{receipt_id}"}}'

    def data_json(self) -> str:
        if not self.errors:
            # The common all-ok case as one C-level join instead of one fragment per recipient.
            ok_ids: list[str] = self.ids  # type: ignore[assignment]
            return '[{"status":"ok","id":"' + '"},{"status":"ok","id":"'.join(ok_ids) + '"}]'
        return "[" + ",".join(self.fragment(i) for i in range(len(self.ids))) + "]"


def _issue_tickets(
    state: SandboxState,
    stats: ProjectStats,
    project: str,
    messages: list[dict[str, Any]],
    infos: list[TokenInfo],
) -> _Tickets:
    """Create tickets, receipts, log entries and counters, in flattened recipient order."""
    config = state.config
    now = state.clock.now()
    sizes = list(map(len, map(json_encode, messages)))
    fingerprints = message_fingerprints(messages)
    if len(messages) != len(infos):  # some `to` lists: one fingerprint per recipient
        fingerprints = [fp for m, fp in zip(messages, fingerprints, strict=True) for _ in _recipients(m)]
    # The catalog's canonical string objects: receipts then share one copy per token instead of one per send.
    tokens = list(map(_token, infos))
    receipt_ids = state.ids.new_ids(now, len(infos))
    if _all_plain_ok(state, infos, tokens, max(sizes)):
        tickets = _Tickets(list(receipt_ids))
        visible_at = now + config.receipt_delay_ms / 1000
        records: list[ReceiptRecord] = list(
            zip(
                receipt_ids,
                tokens,
                repeat(project),
                repeat(now),
                repeat(visible_at),
                repeat(OK),
                strict=False,
            )
        )
        stats.receipts_by_outcome[OK] += len(records)
    else:
        tickets, records = _issue_one_by_one(state, stats, project, messages, infos, sizes, receipt_ids, now)
    # Only ok tickets are deliveries; tokens, fingerprints and tickets are all in flattened order.
    deliveries: Iterable[tuple[str, object]] = zip(tokens, fingerprints, strict=True)
    if tickets.errors:
        deliveries = (d for d, i in zip(deliveries, tickets.ids, strict=True) if i is not None)
    stats.duplicate_notifications += state.duplicates.record(deliveries, now)
    state.receipts.add_many(records)
    state.messages.append(now, project, messages, infos, tickets.ids)
    accepted = len(records)
    stats.recipients_accepted += accepted
    stats.receipts_created += accepted
    stats.note_accepted(accepted, int(state.wall()))
    return tickets


def _recipients(message: dict[str, Any]) -> list[str]:
    to = message["to"]
    return [to] if type(to) is str else to


def _all_plain_ok(state: SandboxState, infos: list[TokenInfo], tokens: list[str], max_size: int) -> bool:
    """True when every recipient gets an ok ticket and an ok receipt: the bulk lane applies.

    That needs well-formed tokens without behaviour prefixes, none dead, no message that could be too
    big, and no token caught by dnr_fraction. Each check is a C-level pass over the request.
    """
    config = state.config
    cutoff = config.dnr_fraction * 10_000
    return (
        all(map(_plain, infos))
        and (config.max_payload_bytes <= 0 or max_size + _PAYLOAD_OVERHEAD <= config.max_payload_bytes)
        and (cutoff <= 0 or min(map(_dnr_bucket, infos)) >= cutoff)
        and not state.registry.any_dead(tokens)
    )


def _issue_one_by_one(
    state: SandboxState,
    stats: ProjectStats,
    project: str,
    messages: list[dict[str, Any]],
    infos: list[TokenInfo],
    sizes: list[int],
    receipt_ids: list[str],
    now: float,
) -> tuple[_Tickets, list[ReceiptRecord]]:
    """The general lane: any mix of behaviours, dead, malformed and oversized recipients."""
    config = state.config
    registry = state.registry
    by_outcome = stats.receipts_by_outcome
    visible_at = now + config.receipt_delay_ms / 1000
    dnr_cutoff = config.dnr_fraction * 10_000
    max_payload = config.max_payload_bytes
    next_id = iter(receipt_ids).__next__
    tickets = _Tickets([])
    ticket_ids = tickets.ids
    records: list[ReceiptRecord] = []
    dead_sends = ticket_dnr = malformed = lost = 0
    cursor = 0
    for message, size in zip(messages, sizes, strict=True):
        to = message["to"]
        count = 1 if type(to) is str else len(to)
        too_big = _too_big(message, size, max_payload)
        for info in infos[cursor : cursor + count]:
            token = info.token
            if not info.well_formed:
                malformed += 1
                tickets.errors[len(ticket_ids)] = _dnr_ticket(
                    token, f'"{token}" is not a valid Expo push token'
                )
                ticket_ids.append(None)
                continue
            dead = registry.status(token)
            if dead is not None or info.behaviour == "dnr-ticket-":
                if dead:
                    dead_sends += 1
                ticket_dnr += 1
                registry.mark_told(token)  # the client has now been told, whatever it does with it
                tickets.errors[len(ticket_ids)] = _dnr_ticket(
                    token, f'"{token}" is not a registered push notification recipient'
                )
                ticket_ids.append(None)
                continue
            outcome, receipt_visible_at = _receipt_outcome(state, info, visible_at)
            if outcome == OK:
                if too_big:
                    outcome = "MessageTooBig"
                elif info.dnr_bucket < dnr_cutoff:
                    outcome = _DNR
            receipt_id = next_id()
            records.append((receipt_id, token, project, now, receipt_visible_at, outcome))
            if outcome == LOST:
                lost += 1
            else:
                by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
            ticket_ids.append(receipt_id)
        cursor += count
    stats.receipts_lost += lost
    stats.sends_to_dead_tokens += dead_sends
    stats.malformed_tokens += malformed
    stats.ticket_errors_by_code[_DNR] += ticket_dnr + malformed
    return tickets, records


def _receipt_outcome(state: SandboxState, info: TokenInfo, visible_at: float) -> tuple[str, float]:
    """Receipt outcome and visibility time dictated by the token's behaviour prefix (§4.6 table)."""
    behaviour = info.behaviour
    if behaviour is None:
        return OK, visible_at
    if behaviour == "noreceipt-":
        return LOST, visible_at
    if behaviour == "slow-":
        return OK, visible_at + SLOW_RECEIPT_EXTRA_S
    if behaviour == "flaky-":
        sends = state.flaky_sends.get(info.token, 0)
        state.flaky_sends[info.token] = sends + 1
        return ("MessageRateExceeded" if sends % 2 else OK), visible_at
    return BEHAVIOUR_RECEIPT_ERRORS.get(behaviour, OK), visible_at
