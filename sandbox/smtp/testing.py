"""For tests: the sink in a background thread, read over HTTP like any other client would.

with running_sink() as sink:
    settings = replace(settings, smtp_host=sink.smtp_host, smtp_port=sink.smtp_port)
    ...
    [mail] = sink.messages(to="ada@example.com")
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from .server import Sink, bind_socket

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


class SinkHandle:
    def __init__(self, smtp_host: str, smtp_port: int, base_url: str) -> None:
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port
        self.base_url = base_url
        # trust_env=False: a proxy from the environment must never sit between tests and loopback.
        self._client = httpx.Client(base_url=base_url, trust_env=False, timeout=10.0)

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        response = self._client.get("/messages", params={"to": to} if to else None)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def clear(self) -> None:
        self._client.delete("/messages").raise_for_status()

    def close(self) -> None:
        self._client.close()


@contextlib.contextmanager
def running_sink(host: str = "127.0.0.1") -> Iterator[SinkHandle]:
    """Start the sink on ephemeral ports in a daemon thread and yield its handle."""
    sink = Sink(bind_socket(host, 0), bind_socket(host, 0))
    ready = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(sink.serve(ready.set))
        except BaseException as error:  # surfaced in the caller's thread
            errors.append(error)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="smtp-sink", daemon=True)
    thread.start()
    if not ready.wait(_START_TIMEOUT_S) or errors:
        sink.stop()
        raise RuntimeError("SMTP sink failed to start") from (errors[0] if errors else None)
    smtp_host, smtp_port = sink.smtp_address
    handle = SinkHandle(smtp_host, smtp_port, sink.http_url)
    try:
        yield handle
    finally:
        handle.close()
        sink.stop()
        thread.join(_STOP_TIMEOUT_S)
        sink.smtp_sock.close()
        sink.http_sock.close()
