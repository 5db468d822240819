"""Minimal ASGI plumbing: request reading, body decoding, JSON/gzip responses, connection resets.

A plain ASGI callable (no framework) keeps per-request overhead to a few microseconds, which is what
lets the sandbox stay far above the 2,000 req/s target on one core.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_TYPE = b"application/json; charset=utf-8"
HTML_TYPE = b"text/html; charset=utf-8"
TEXT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

json_encode = msgspec.json.Encoder().encode
_json_decoder = msgspec.json.Decoder()


class BodyTooLarge(Exception):
    pass


class BodyDecodeError(Exception):
    pass


def json_decode(body: bytes) -> Any:
    try:
        return _json_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise BodyDecodeError(f"Invalid JSON body: {exc}") from exc


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: bytes
    headers: dict[bytes, bytes]
    client: Any


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: bytes = JSON_TYPE
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    # Request-level error code, for the per-code counters.
    error_code: str | None = None
    # Close the TCP connection without answering (fault injection).
    reset: bool = False


def json_response(status: int, payload: Any) -> Response:
    return Response(status, json_encode(payload))


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """Expo's request-level error shape: {"errors": [{code, message, details?}]}."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(status, json_encode({"errors": [error]}), error_code=code)


def html_response(status: int, title: str) -> Response:
    body = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>"
    return Response(status, body.encode(), content_type=HTML_TYPE)


def make_request(scope: Scope) -> Request:
    return Request(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b""),
        headers=dict(scope["headers"]),
        client=scope.get("client"),
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    """Read the whole body; raise BodyTooLarge as soon as the wire bytes exceed `limit`."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _inflate(raw: bytes, wbits: int, limit: int) -> bytes:
    # Bounded decompression: a small gzip bomb must produce a 413, not an out-of-memory sandbox.
    out: list[bytes] = []
    size = 0
    data = raw
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            chunk = inflater.decompress(data, limit + 1 - size)
        except zlib.error as exc:
            raise BodyDecodeError(f"Corrupt compressed body: {exc}") from exc
        size += len(chunk)
        out.append(chunk)
        if size > limit or inflater.unconsumed_tail:
            raise BodyTooLarge
        if not inflater.eof:
            raise BodyDecodeError("Corrupt compressed body: truncated stream")
        data = inflater.unused_data
        # gzip allows concatenated members; anything else after the stream is garbage.
        if not data:
            return b"".join(out)
        if wbits != 47 or not data.startswith(b"\x1f\x8b"):
            raise BodyDecodeError("Corrupt compressed body: trailing data")


def decode_body(raw: bytes, content_encoding: bytes | None, limit: int) -> tuple[bytes, bool]:
    """Return (decoded body, was_compressed)."""
    if not content_encoding:
        return raw, False
    encoding = content_encoding.strip().lower()
    if encoding in (b"identity", b""):
        return raw, False
    if encoding in (b"gzip", b"x-gzip"):
        return _inflate(raw, 47, limit), True
    if encoding == b"deflate":
        # HTTP "deflate" is meant to be zlib-wrapped, but raw deflate is common enough to accept too.
        try:
            return _inflate(raw, 15, limit), True
        except BodyDecodeError:
            return _inflate(raw, -15, limit), True
    raise BodyDecodeError(f"Unsupported Content-Encoding {encoding.decode(errors='replace')!r}")


def accepts_gzip(headers: dict[bytes, bytes]) -> bool:
    accept = headers.get(b"accept-encoding")
    if not accept:
        return False
    for part in accept.lower().split(b","):
        name, _, params = part.partition(b";")
        if name.strip() not in (b"gzip", b"*"):
            continue
        params = params.replace(b" ", b"")
        if not params.startswith(b"q="):
            return True
        try:
            return float(params[2:]) > 0
        except ValueError:
            return False
    return False


async def send_response(send: Send, response: Response, *, gzip_min_bytes: int | None) -> None:
    """Send `response`; gzip it when `gzip_min_bytes` is set and the body is larger than that."""
    body = response.body
    headers = [(b"content-type", response.content_type), *response.headers]
    if gzip_min_bytes is not None and len(body) > gzip_min_bytes:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # level 1: the CPU matters more than the bytes
        body = compressor.compress(body) + compressor.flush()
        headers.append((b"content-encoding", b"gzip"))
        headers.append((b"vary", b"accept-encoding"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def reset_connection(send: Send) -> bool:
    """Drop the TCP connection with an RST and no response. Returns False if the server hides its transport.

    ASGI has no "abort" event, so this reaches the transport behind uvicorn's bound `send` method.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout turns close() into an RST, like a crashed load balancer.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let connection_lost run before we return, so uvicorn sees a disconnect rather than a silent app.
    await asyncio.sleep(0)
    return True
