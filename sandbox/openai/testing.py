"""For tests and benchmarks: the stub on a thread of the calling process, driven over HTTP.

with running_stub() as stub:
    settings = replace(settings, openai_api_key="sk-test", openai_base_url=stub.base_url)
    stub.script({"fault": "rate_limit", "retry_after": 1}, {"content": "Hi"})
    ...
    assert [r["outcome"] for r in stub.requests()] == ["rate_limit", "scripted"]
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from .app import StubApp
from .server import base_url_for, bind_socket, build_server, stub_base_url
from .state import StubState

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


class StubHandle:
    """The control API as sync calls; `base_url` is what OPENAI_BASE_URL is set to."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.base_url = stub_base_url(server_url)
        # trust_env=False: a proxy from the environment must never sit between tests and loopback.
        self._client = httpx.Client(base_url=server_url, trust_env=False, timeout=10.0)

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = self._client.request(method, "/__stub/" + path, json=payload)
        response.raise_for_status()
        return response.json()

    def configure(self, latency_ms: float = 0, fault: str | None = None, **extra: Any) -> dict[str, Any]:
        """The standing config (replaced whole): `retry_after`, `hang_seconds` go in `extra`."""
        result: dict[str, Any] = self._call(
            "PUT", "config", {"latency_ms": latency_ms, "fault": fault, **extra}
        )
        return result

    def script(self, *outcomes: dict[str, Any]) -> None:
        """One outcome per coming request, e.g. `{"fault": "server_error"}` or `{"content": "Hi"}`."""
        self._call("POST", "script", {"outcomes": list(outcomes)})

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "requests")["requests"]
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "stats")
        return result

    def reset(self) -> None:
        self._call("POST", "reset")


@contextlib.contextmanager
def running_stub(host: str = "127.0.0.1", latency_ms: float = 0.0) -> Iterator[StubHandle]:
    """Start the stub on an ephemeral port in a daemon thread and yield its handle."""
    sock = bind_socket(host, 0)
    started = threading.Event()
    server = build_server(StubApp(StubState(latency_ms)), started.set)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as error:  # surfaced in the caller's thread
            errors.append(error)
        finally:
            started.set()

    thread = threading.Thread(target=run, name="openai-stub", daemon=True)
    thread.start()
    handle = StubHandle(base_url_for(sock))
    try:
        if not started.wait(_START_TIMEOUT_S) or errors or not server.started:
            raise RuntimeError("OpenAI stub failed to start") from (errors[0] if errors else None)
        yield handle
    finally:
        handle.close()
        server.should_exit = True
        thread.join(_STOP_TIMEOUT_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT_S)
        sock.close()
