"""Throughput benchmark: `python -m sandbox.expo.bench [--url URL] [--connections 32] [--seconds 5]`.

Uses a minimal keep-alive HTTP/1.1 client on raw asyncio streams, because an httpx-based load generator
saturates its own core long before the sandbox does. Without --url it starts a sandbox subprocess with
the rate limit off (with --pin: sandbox on CPU 0, client on CPU 1) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

from .testing import start_sandbox_process, stop_sandbox_process


def build_request(host: str, port: int, recipients: int, gzip_accept: bool) -> bytes:
    messages = [
        {
            "to": f"ExponentPushToken[bench-{i:05d}]",
            "title": "Time to move",
            "body": "Your 19:00 workout starts in 10 minutes.",
            "data": {"notification_id": f"n-{i}", "kind": "reminder"},
        }
        for i in range(recipients)
    ]
    body = json.dumps(messages, separators=(",", ":")).encode()
    head = (
        f"POST /--/api/v2/push/send HTTP/1.1\r\nhost: {host}:{port}\r\naccept: application/json\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        + ("accept-encoding: gzip, deflate\r\n" if gzip_accept else "")
        + "\r\n"
    )
    return head.encode() + body


def process_cpu_s(pid: int) -> float:
    """utime + stime of a process (Linux), so the figure survives other load on the machine."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _worker(host: str, port: int, request: bytes, deadline: float, statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            statuses[status] += 1
    finally:
        writer.close()
        await writer.wait_closed()


async def run(
    url: str, connections: int, seconds: float, recipients: int, gzip_accept: bool, server_pid: int | None
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = build_request(host, port, recipients, gzip_accept)
    statuses: Counter[int] = Counter()
    # Short warm-up so connection set-up and first-call costs do not count.
    warm_up_until = time.perf_counter() + 0.5
    await asyncio.gather(*(_worker(host, port, request, warm_up_until, Counter()) for _ in range(4)))
    cpu_before = process_cpu_s(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_worker(host, port, request, deadline, statuses) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    total = sum(statuses.values())
    result = {
        "requests": total,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(total / elapsed, 1),
        "recipients_per_s": round(total * recipients / elapsed, 1),
        "non_200": total - statuses.get(200, 0),
    }
    if server_pid:
        # Requests per second of sandbox CPU time: the "one core" figure, whatever else the machine runs.
        cpu = process_cpu_s(server_pid) - cpu_before
        result["server_cpu_s"] = round(cpu, 3)
        result["requests_per_server_cpu_s"] = round(total / cpu, 1) if cpu else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--recipients", type=int, default=100)
    parser.add_argument("--gzip", action="store_true", help="send accept-encoding: gzip (responses > 1 KiB)")
    parser.add_argument("--pin", action="store_true", help="pin the sandbox to CPU 0, this client to CPU 1")
    args = parser.parse_args()
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        pass
    proc = None
    url = args.url
    if url is None:
        proc, url = start_sandbox_process(rate_limit_per_second=0, message_log_size=1000)
        if args.pin and shutil.which("taskset"):
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(proc.pid)], check=True, capture_output=True)
            os.sched_setaffinity(0, {1})
    try:
        pid = proc.pid if proc is not None else None
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            result = runner.run(run(url, args.connections, args.seconds, args.recipients, args.gzip, pid))
        print(json.dumps(result))
    finally:
        if proc is not None:
            stop_sandbox_process(proc)


if __name__ == "__main__":
    main()
