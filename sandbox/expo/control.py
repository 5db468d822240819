"""The `/__sandbox/` control plane (§4.10). Not Expo API: plain JSON, no latency, no faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from .asgi_io import (
    TEXT_TYPE,
    BodyDecodeError,
    BodyTooLarge,
    Receive,
    Request,
    Response,
    json_decode,
    json_response,
    read_body,
)
from .config import ConfigError
from .state import SandboxState
from .stats import render_prometheus

PREFIX = "/__sandbox/"
_CONTROL_BODY_LIMIT = 64 * 1024 * 1024  # token lists for churn benchmarks can be large
_DEFAULT_MESSAGE_LIMIT = 1000


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Handler = Callable[[SandboxState, Request, Any], Response]


def _healthz(state: SandboxState, request: Request, body: Any) -> Response:
    return json_response(200, {"ok": True})


def _reset(state: SandboxState, request: Request, body: Any) -> Response:
    state.reset()
    return json_response(200, {"ok": True})


def _get_config(state: SandboxState, request: Request, body: Any) -> Response:
    return json_response(200, state.config.to_dict())


def _post_config(state: SandboxState, request: Request, body: Any) -> Response:
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object of config keys")
    try:
        config = state.apply_config(body)
    except ConfigError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response(200, config.to_dict())


def _stats(state: SandboxState, request: Request, body: Any) -> Response:
    return json_response(200, state.stats_snapshot())


def _metrics(state: SandboxState, request: Request, body: Any) -> Response:
    return Response(200, render_prometheus(state.stats_snapshot()).encode(), content_type=TEXT_TYPE)


def _messages(state: SandboxState, request: Request, body: Any) -> Response:
    query = parse_qs(request.query.decode("latin-1"))
    to = query.get("to", [None])[-1]
    try:
        since = float(query["since"][-1]) if "since" in query else None
        limit = int(query["limit"][-1]) if "limit" in query else _DEFAULT_MESSAGE_LIMIT
    except ValueError as exc:
        raise ControlError(400, "since must be a number and limit an integer") from exc
    items = state.messages.query(to, since, max(0, limit))
    return json_response(200, {"messages": [item.as_json() for item in items]})


def _tokens(dead: bool) -> Handler:
    def handler(state: SandboxState, request: Request, body: Any) -> Response:
        tokens = body.get("tokens") if isinstance(body, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ControlError(400, 'body must be {"tokens": [string, ...]}')
        if dead:
            state.registry.unregister(tokens)
        else:
            state.registry.register(tokens)
        return json_response(200, {"ok": True, "dead_tokens": len(state.registry)})

    return handler


def _number_field(body: Any, key: str, default: float | None = None) -> float:
    value = body.get(key, default) if isinstance(body, dict) else default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(400, f"{key} must be a number >= 0")
    return float(value)


def _get_clock(state: SandboxState, request: Request, body: Any) -> Response:
    clock = state.clock
    return json_response(200, {"now": clock.now(), "virtual": clock.virtual, "offset_s": clock.offset_s})


def _advance_clock(state: SandboxState, request: Request, body: Any) -> Response:
    state.clock.advance(_number_field(body, "seconds"))
    state.purge_expired_receipts()  # so stats read right after the jump already show expiries
    return _get_clock(state, request, body)


def _outage(state: SandboxState, request: Request, body: Any) -> Response:
    seconds = _number_field(body, "seconds")
    status = body.get("status", 503) if isinstance(body, dict) else 503
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ControlError(400, "status must be an HTTP error status (400-599)")
    retry_after = body.get("retry_after_s") if isinstance(body, dict) else None
    if retry_after is not None and (
        isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
    ):
        raise ControlError(400, "retry_after_s must be a non-negative integer of seconds")
    state.outage.start(state.clock.now(), seconds, status, retry_after)
    return json_response(
        200, {"ok": True, "until": state.outage.until, "status": status, "retry_after_s": retry_after}
    )


_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "healthz"): _healthz,
    ("POST", "reset"): _reset,
    ("GET", "config"): _get_config,
    ("POST", "config"): _post_config,
    ("PATCH", "config"): _post_config,
    ("GET", "stats"): _stats,
    ("GET", "metrics"): _metrics,
    ("GET", "messages"): _messages,
    ("POST", "tokens/unregister"): _tokens(dead=True),
    ("POST", "tokens/register"): _tokens(dead=False),
    ("GET", "clock"): _get_clock,
    ("POST", "clock/advance"): _advance_clock,
    ("POST", "outage"): _outage,
}
_KNOWN_PATHS = frozenset(path for _, path in _ROUTES)


async def handle_control(state: SandboxState, request: Request, receive: Receive) -> Response:
    sub = request.path[len(PREFIX) :].rstrip("/")
    try:
        if sub.startswith("receipts/") and request.method == "GET":
            return _receipt_debug(state, sub[len("receipts/") :])
        handler = _ROUTES.get((request.method, sub))
        if handler is None:
            if sub in _KNOWN_PATHS or sub.startswith("receipts/"):
                raise ControlError(405, f"method {request.method} not allowed on {request.path}")
            raise ControlError(404, f"no control endpoint {request.path}")
        body: Any = None
        if request.method in ("POST", "PATCH"):
            raw = await read_body(receive, _CONTROL_BODY_LIMIT)
            body = json_decode(raw) if raw.strip() else {}
        return handler(state, request, body)
    except ControlError as exc:
        return json_response(exc.status, {"error": exc.message})
    except BodyDecodeError as exc:
        return json_response(400, {"error": str(exc)})
    except BodyTooLarge:
        return json_response(413, {"error": "control request body too large"})


def _receipt_debug(state: SandboxState, receipt_id: str) -> Response:
    state.purge_expired_receipts()
    record = state.receipts.get(receipt_id)
    if record is None:
        raise ControlError(404, f"no receipt {receipt_id} (unknown or purged)")
    return json_response(200, state.receipts.debug(record, state.clock.now(), state.config.receipt_ttl_s))
