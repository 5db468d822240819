"""A fixed burst of HTTP/1.1 requests, each sent exactly once, over `connections` keep-alive sockets.

wrk (the house load generator, bench/api) runs for a duration and repeats its requests, while a
challenge check-in can be sent once per participant and day; httpx's pool is the bottleneck itself
with hundreds of requests in flight. So this sends raw requests on asyncio streams: each connection
takes the next request from the shared list, writes it, and reads the status line, headers and the
Content-Length body of the answer. Latency is per request, from write to the last body byte.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Burst:
    seconds: float  # first write to last answer
    latencies_ms: list[float]
    statuses: Counter[int]


def _encode(request: Request, host: str) -> bytes:
    lines = [
        f"{request.method} {request.path} HTTP/1.1",
        f"Host: {host}",
        f"Content-Length: {len(request.body)}",
    ]
    if request.body:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + request.body


async def _answer_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split(" ", 2)[1])


async def send_burst(host: str, port: int, requests: Sequence[Request], connections: int) -> Burst:
    """Open the connections first, then send every request once and wait for every answer."""
    streams = [await asyncio.open_connection(host, port) for _ in range(min(connections, len(requests)))]
    encoded = [_encode(request, f"{host}:{port}") for request in requests]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    position = 0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal position
        while position < len(encoded):
            payload = encoded[position]
            position += 1
            started = time.perf_counter()
            writer.write(payload)
            statuses[await _answer_status(reader)] += 1
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(reader, writer) for reader, writer in streams))
    finally:
        for _, writer in streams:
            writer.close()
    return Burst(time.perf_counter() - started, latencies, statuses)
