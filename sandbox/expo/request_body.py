"""Steps shared by both Expo endpoints: outage gate, body transport (size, compression) and auth."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from .asgi_io import (
    BodyDecodeError,
    BodyTooLarge,
    Receive,
    Request,
    Response,
    decode_body,
    error_response,
    html_response,
    json_encode,
    read_body,
)
from .config import SandboxConfig
from .state import SandboxState

_UNKNOWN_ERROR = "An unknown error occurred."


@dataclass(slots=True)
class Body:
    decoded: bytes
    wire_bytes: int
    compressed: bool


def outage_response(state: SandboxState) -> Response | None:
    if not state.outage.active(state.clock.now()):
        return None
    status = state.outage.status
    if status >= 500:
        response = error_response(status, "INTERNAL_SERVER_ERROR", _UNKNOWN_ERROR)
    else:
        response = html_response(status, "Service Unavailable")
    if state.outage.retry_after_s is not None:
        response.headers.append((b"retry-after", str(state.outage.retry_after_s).encode()))
    return response


def server_error(status: int, html: bool) -> Response:
    if html:
        return html_response(
            status, {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Server Error")
        )
    return error_response(status, "INTERNAL_SERVER_ERROR", _UNKNOWN_ERROR)


async def read_request_body(config: SandboxConfig, request: Request, receive: Receive) -> Body | Response:
    limit = config.max_body_bytes
    declared = request.headers.get(b"content-length")
    try:
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        raw = await read_body(receive, limit)
        decoded, compressed = decode_body(raw, request.headers.get(b"content-encoding"), limit)
    except BodyTooLarge:
        return error_response(
            413, "PAYLOAD_TOO_LARGE", f"The request body is larger than the limit of {limit} bytes."
        )
    except BodyDecodeError as exc:
        return error_response(400, "VALIDATION_ERROR", str(exc))
    return Body(decoded, len(raw), compressed)


def check_auth(config: SandboxConfig, request: Request) -> Response | None:
    expected = config.require_access_token
    if not expected:
        return None
    header = request.headers.get(b"authorization")
    if header is None:
        return error_response(
            401,
            "UNAUTHORIZED",
            "The request is missing an access token. This project requires Enhanced Push Security: "
            'send "Authorization: Bearer <access token>".',
        )
    scheme, _, value = header.partition(b" ")
    if scheme.lower() == b"bearer" and hmac.compare_digest(value.strip(), expected.encode()):
        return None
    # A wrong token gets the OAuth-style body from the one user report (expo/expo #21220), not `errors`.
    return Response(
        401,
        json_encode({"error": "invalid_token", "error_description": "The bearer token is invalid"}),
        headers=[(b"www-authenticate", b'Bearer error="invalid_token"')],
        error_code="UNAUTHORIZED",
    )
