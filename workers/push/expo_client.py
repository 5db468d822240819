"""The Expo push client: one async request per batch, every failure sorted by what it means for a retry.

Why our own sending core instead of `exponent_server_sdk.PushClient` (docs/push-contract.md §2.2): the SDK is
synchronous (`requests`, it would stall the actors' event loop), has no timeout by default, rejects
`ExpoPushToken[…]` tokens and list `to`, never gzips, and loses the tickets of chunks already sent when a
later chunk raises. What it gets right we reuse: its ticket and receipt types (`PushTicket`,
`PushReceipt`), their error names (`PushTicket.ERROR_DEVICE_NOT_REGISTERED`, …), its request-level
error type (`PushServerError`, subclassed below), its API path and its size limits.

Sorting of a failed request (the caller turns it into a retry, a failure, or "sent, unconfirmed"):
- `ExpoRetryableError`: 429, 500/502/503, and transport errors where Expo cannot have processed the
  request (connect errors and timeouts, pool timeout, write errors: a request whose body did not
  arrive whole is not processed).
- `ExpoRejectedError`: any other 4xx, or a 200 carrying `errors`: retrying sends the same bad request.
- `ExpoUnconfirmedError`: anything that goes wrong after the whole request was written — a read
  timeout, a connection reset or closed before the response (ReadError, RemoteProtocolError), a 504 —
  or a 200 whose tickets do not line up with the messages: Expo may have accepted the batch (it has no
  idempotency key), so it must not be resent blindly. A reset before processing looks the same and is
  treated the same; stale keep-alive connections, the usual cause of those, are avoided by the
  client's short keep-alive expiry.
"""

from __future__ import annotations

import contextlib
import gzip
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import msgspec
from exponent_server_sdk import PushClient, PushReceipt, PushServerError, PushTicket

from services.metrics import PUSH_REQUESTS
from services.retry_after import retry_after_seconds

# An idle connection is closed by us well before any server or load balancer in front of Expo would
# (typically 60 s or more), so a request is never written into a connection the far end already
# dropped: that reset would be indistinguishable from one after processing (unconfirmed, not resent).
KEEPALIVE_EXPIRY_SECONDS: Final = 5.0
# Expo's limits per request: recipients on /push/send, ids on /push/getReceipts.
MAX_MESSAGES_PER_REQUEST: Final = PushClient.DEFAULT_MAX_MESSAGE_COUNT
MAX_RECEIPT_IDS_PER_REQUEST: Final = PushClient.DEFAULT_MAX_RECEIPT_COUNT
# The Node SDK gzips bodies above 1 KiB; below that compression costs more than it saves.
GZIP_MIN_BYTES: Final = 1024
# Fast compression level: bodies are repetitive JSON, level 1 already shrinks them ~5x.
GZIP_LEVEL: Final = 1
# Connect fast-fails a dead host; read covers Expo's slow moments under load (docs/push-contract.md
# §1.4 mentions 502/504 under load) without holding a claimed batch for long. Well under the claim lease.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)
# Expo advises at most 6 concurrent connections per sender (docs/push-contract.md §1.7).
MAX_CONNECTIONS: Final = 6

# Both token spellings Expo issues (§3.9), plus the bare UUID the Node SDK also accepts.
_TOKEN = re.compile(
    r"^(?:(?:ExponentPushToken|ExpoPushToken)\[[^\]]+\]|"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
# A gateway timeout may come after Expo queued the batch (docs/push-contract.md §1.4); every other
# 5xx means it did not.
_UNCONFIRMED_STATUS = 504
_SEND_PATH = PushClient.DEFAULT_BASE_API_URL + "/push/send"
_RECEIPTS_PATH = PushClient.DEFAULT_BASE_API_URL + "/push/getReceipts"

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def is_expo_push_token(token: str) -> bool:
    """`ExponentPushToken[…]` and `ExpoPushToken[…]` (the SDK's own check accepts only the first)."""
    return _TOKEN.match(token) is not None


# The SDK ships no type hints, so mypy sees its base class as Any.
class ExpoRequestError(PushServerError):  # type: ignore[misc]
    """A request-level failure. `code` is Expo's error code when it sent one, else what happened
    (e.g. "HTTP_503", "ConnectError"); it ends up in push_deliveries.ticket_error."""

    def __init__(
        self, code: str, message: str, response: httpx.Response | None = None, errors: Any = None
    ) -> None:
        super().__init__(message, response, errors=errors)
        self.code = code


class ExpoRetryableError(ExpoRequestError):
    """Expo did not take the request: retry later with backoff, no sooner than `retry_after` seconds
    when Expo said so (a Retry-After header on a 429 or 503)."""

    def __init__(
        self, code: str, message: str, response: httpx.Response | None = None, errors: Any = None
    ) -> None:
        super().__init__(code, message, response, errors)
        header = response.headers.get("retry-after") if response is not None else None
        self.retry_after = retry_after_seconds(header, now=datetime.now(UTC))


class ExpoRejectedError(ExpoRequestError):
    """Expo refused the request as it is: do not retry."""


class ExpoUnconfirmedError(ExpoRequestError):
    """The request may have been accepted: do not resend."""


class ExpoPushClient:
    """Async client for the two Expo routes. Create it on the event loop that uses it; `aclose()` it."""

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        headers = {
            "accept": "application/json",
            "accept-encoding": "gzip, deflate",
            "content-type": "application/json",
        }
        if access_token:
            headers["authorization"] = f"Bearer {access_token}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_CONNECTIONS,
                keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
            ),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, messages: Sequence[Mapping[str, Any]]) -> list[PushTicket]:
        """Send one request; the tickets come back in message order. Each message has one recipient."""
        return await self.send_prepared(self.prepare_send(messages))

    def prepare_send(self, messages: Sequence[Mapping[str, Any]]) -> PreparedSend:
        """Encode (and gzip) a request ahead of time, so it can leave the moment it is due."""
        if not 0 < len(messages) <= MAX_MESSAGES_PER_REQUEST:
            raise ValueError(f"a request carries 1..{MAX_MESSAGES_PER_REQUEST} messages, got {len(messages)}")
        return PreparedSend(messages=list(messages), body=_encode_body(list(messages)))

    async def send_prepared(self, request: PreparedSend) -> list[PushTicket]:
        messages = request.messages
        response = await self._post(_SEND_PATH, request.body)
        data = _payload_data(response)
        # The docs: a single message to a single recipient may get a single ticket object back.
        tickets = [data] if isinstance(data, dict) else data
        if not isinstance(tickets, list) or len(tickets) != len(messages):
            raise ExpoUnconfirmedError(
                "TicketMismatch", f"expected {len(messages)} tickets, got {_describe(tickets)}", response
            )
        return [
            PushTicket(
                push_message=message,
                status=ticket.get("status"),
                message=ticket.get("message", ""),
                details=ticket.get("details"),
                id=ticket.get("id"),
            )
            for message, ticket in zip(messages, tickets, strict=True)
        ]

    async def get_receipts(self, ticket_ids: Sequence[str]) -> dict[str, PushReceipt]:
        """Receipts that are ready, by ticket id; ids without a receipt (yet) are simply absent."""
        if not 0 < len(ticket_ids) <= MAX_RECEIPT_IDS_PER_REQUEST:
            raise ValueError(f"a request carries 1..{MAX_RECEIPT_IDS_PER_REQUEST} ids, got {len(ticket_ids)}")
        response = await self._post(_RECEIPTS_PATH, _encode_body({"ids": list(ticket_ids)}))
        data = _payload_data(response)
        if not isinstance(data, dict):
            raise ExpoRejectedError("MalformedReceipts", f"receipts are {_describe(data)}", response)
        # Parse leniently: unknown error names and extra keys (docs/push-contract.md §1.5) must not
        # break anything.
        return {
            receipt_id: PushReceipt(
                id=receipt_id,
                status=receipt.get("status"),
                message=receipt.get("message", ""),
                details=receipt.get("details"),
            )
            for receipt_id, receipt in data.items()
            if isinstance(receipt, dict)
        }

    async def warm_up(self) -> None:
        """Open a connection before the first batch, with an empty getReceipts (answered with no data).

        Otherwise the first request of a process pays for lazy imports, the TCP and TLS handshakes right
        after its permits were granted, and arrives late enough (35 ms locally, hundreds against
        exp.host) to squeeze the limiter's spacing with the next batches: a 429. A failure here only
        means the first batch pays that price.
        """
        with contextlib.suppress(ExpoRequestError):
            await self._post(_RECEIPTS_PATH, _encode_body({"ids": []}))

    async def _post(self, path: str, body: EncodedBody) -> httpx.Response:
        try:
            response = await self._http.post(path, content=body.content, headers=body.headers)
        except httpx.TransportError as error:
            PUSH_REQUESTS.labels(path, type(error).__name__).inc()
            raise _transport_failure(error) from error
        PUSH_REQUESTS.labels(path, str(response.status_code)).inc()
        if response.status_code == 200:
            return response
        code, errors = _error_code(response)
        status = response.status_code
        if status == _UNCONFIRMED_STATUS:
            raise ExpoUnconfirmedError(code, f"HTTP {status}", response, errors)
        if status == 429 or status >= 500:
            raise ExpoRetryableError(code, f"HTTP {status}", response, errors)
        raise ExpoRejectedError(code, f"HTTP {status}: {response.text[:500]}", response, errors)


def _transport_failure(error: httpx.TransportError) -> ExpoRequestError:
    """Whether Expo could have processed the request decides: before sending, retry; after, unconfirmed."""
    name = type(error).__name__
    if isinstance(error, httpx.ReadTimeout):
        return ExpoUnconfirmedError(name, "no response in time after sending")
    if isinstance(error, httpx.TimeoutException):
        return ExpoRetryableError(name, str(error) or "timed out before sending")
    if isinstance(error, httpx.ReadError | httpx.RemoteProtocolError):
        return ExpoUnconfirmedError(name, str(error) or "connection lost after sending")
    return ExpoRetryableError(name, str(error) or "connection failed")


@dataclass(frozen=True, slots=True)
class EncodedBody:
    content: bytes
    headers: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class PreparedSend:
    messages: list[Mapping[str, Any]]
    body: EncodedBody


def _encode_body(payload: object) -> EncodedBody:
    content = _encode(payload)
    if len(content) <= GZIP_MIN_BYTES:
        return EncodedBody(content, None)
    return EncodedBody(gzip.compress(content, compresslevel=GZIP_LEVEL), {"content-encoding": "gzip"})


def _payload_data(response: httpx.Response) -> Any:
    try:
        payload = _decode(response.content)
    except msgspec.DecodeError as error:
        raise ExpoUnconfirmedError("MalformedResponse", "HTTP 200 without JSON", response) from error
    if isinstance(payload, dict) and payload.get("errors"):
        code, errors = _error_code(response)
        raise ExpoRejectedError(code, f"errors in an HTTP 200 body: {errors}", response, errors)
    if not isinstance(payload, dict) or "data" not in payload:
        raise ExpoUnconfirmedError("MalformedResponse", "HTTP 200 without data", response)
    return payload["data"]


def _error_code(response: httpx.Response) -> tuple[str, Any]:
    """Expo's first error code (e.g. TOO_MANY_REQUESTS), else HTTP_<status> for HTML or odd bodies."""
    try:
        payload = _decode(response.content)
    except msgspec.DecodeError:
        return f"HTTP_{response.status_code}", None
    if isinstance(payload, dict):
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("code"):
            return str(errors[0]["code"]), errors
        if isinstance(payload.get("error"), str):  # the OAuth-style body for a bad bearer token
            return str(payload["error"]), payload
    return f"HTTP_{response.status_code}", None


def _describe(value: object) -> str:
    return f"{len(value)} items" if isinstance(value, list) else type(value).__name__
