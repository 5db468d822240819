"""Helpers for tests and benchmarks: an in-process sandbox thread and a subprocess starter.

with running_sandbox(rate_limit_per_second=50) as sandbox:
    PushClient(host=sandbox.base_url).publish(...)
    assert sandbox.stats()["projects"]["default"]["send_requests"]["total"] == 1
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from .app import SandboxApp
from .config import FIELD_KINDS, SandboxConfig
from .server import SandboxServer, base_url_for, bind_socket, build_server
from .state import SandboxState

REPO_ROOT = Path(__file__).resolve().parents[2]
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


class SandboxHandle:
    """Synchronous control-plane client for a running sandbox. Thread-safe: all access goes over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        # trust_env=False: a proxy from the environment must never sit between tests and loopback.
        self._client = httpx.Client(base_url=base_url, trust_env=False, timeout=10.0)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, **params: Any) -> Any:
        response = self._client.get(path, params={k: v for k, v in params.items() if v is not None})
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, payload: Any = None) -> Any:
        response = self._client.post(path, json=payload if payload is not None else {})
        response.raise_for_status()
        return response.json()

    def url(self, path: str = "") -> str:
        return self.base_url + path

    def healthz(self) -> bool:
        return bool(self._get("/__sandbox/healthz")["ok"])

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/__sandbox/stats")
        return result

    def project_stats(self, project: str = "default") -> dict[str, Any]:
        result: dict[str, Any] = self.stats()["projects"].get(project, {})
        return result

    def metrics(self) -> str:
        response = self._client.get("/__sandbox/metrics")
        response.raise_for_status()
        return response.text

    def reset(self) -> None:
        self._post("/__sandbox/reset")

    def config(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/__sandbox/config")
        return result

    def configure(self, **patch: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._post("/__sandbox/config", patch)
        return result

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward; returns the new sandbox time (epoch seconds)."""
        return float(self._post("/__sandbox/clock/advance", {"seconds": seconds})["now"])

    def now(self) -> float:
        return float(self._get("/__sandbox/clock")["now"])

    def messages(
        self, to: str | None = None, *, since: float | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get("/__sandbox/messages", to=to, since=since, limit=limit)[
            "messages"
        ]
        return result

    def receipt(self, receipt_id: str) -> dict[str, Any] | None:
        """Full receipt record (pending ones included), or None if unknown or purged."""
        response = self._client.get(f"/__sandbox/receipts/{receipt_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def unregister(self, tokens: Iterable[str]) -> None:
        self._post("/__sandbox/tokens/unregister", {"tokens": list(tokens)})

    def register(self, tokens: Iterable[str]) -> None:
        self._post("/__sandbox/tokens/register", {"tokens": list(tokens)})

    def outage(self, seconds: float, status: int = 503) -> None:
        self._post("/__sandbox/outage", {"seconds": seconds, "status": status})


class _ServerThread:
    """uvicorn in a daemon thread with its own event loop."""

    def __init__(self, config: SandboxConfig, host: str, monotonic: Callable[[], float]) -> None:
        self.app = SandboxApp(SandboxState(config, monotonic=monotonic))
        self._sock = bind_socket(host, 0)
        self.base_url = base_url_for(self._sock)
        self._started = threading.Event()
        self._server: SandboxServer = build_server(self.app, self._started.set)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="expo-sandbox", daemon=True)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # surfaced in the caller's thread instead of as a thread warning
            self._error = exc
        finally:
            self._started.set()  # unblock start() if we died before listening

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT_S) or self._error is not None or not self._server.started:
            self.stop()
            raise RuntimeError("expo sandbox failed to start") from self._error

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(_STOP_TIMEOUT_S)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(_STOP_TIMEOUT_S)
        self._sock.close()
        if self._error is not None and not isinstance(self._error, SystemExit | KeyboardInterrupt):
            raise RuntimeError("expo sandbox server thread crashed") from self._error


@contextlib.contextmanager
def running_sandbox(
    *, monotonic: Callable[[], float] = time.monotonic, **config: Any
) -> Iterator[SandboxHandle]:
    """Start a sandbox on 127.0.0.1:<ephemeral port> in a background thread and yield its handle.

    Keyword arguments are config keys (see SandboxConfig), validated before anything starts.
    Environment variables are deliberately ignored here so tests stay hermetic. `monotonic` is the
    real-time clock of traffic shaping (rate windows, peak rates), which `advance_clock` leaves alone:
    a test that must not depend on how fast it runs passes a clock it moves itself.
    """
    host = config.pop("host", "127.0.0.1")
    server = _ServerThread(SandboxConfig().patched(config), host, monotonic)
    server.start()
    handle = SandboxHandle(server.base_url)
    try:
        yield handle
    finally:
        handle.close()
        server.stop()


def _cli_args(config: dict[str, Any]) -> list[str]:
    SandboxConfig().patched(config)  # fail fast in the parent with a clear error
    args: list[str] = []
    for name, value in config.items():
        kind = FIELD_KINDS[name]
        if kind == "bool":
            text = "true" if value else "false"
        elif value is None:
            text = ""
        else:
            text = str(value)
        args += ["--" + name.replace("_", "-"), text]
    return args


def start_sandbox_process(
    *, host: str = "127.0.0.1", port: int = 0, startup_timeout_s: float = _START_TIMEOUT_S, **config: Any
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m sandbox.expo` and return (process, base_url) once it prints LISTENING.

    The caller owns the process: call `stop_sandbox_process(proc)` (or use `sandbox_process`) when done.
    """
    args = ["--host", host, "--port", str(port), *_cli_args(config)]
    return start_module_process("sandbox.expo", args, startup_timeout_s)


def start_module_process(
    module: str, args: list[str], startup_timeout_s: float = _START_TIMEOUT_S
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m <module> <args>` (any sandbox that announces `LISTENING <url>`) and return
    (process, url) once it has; the caller stops it with `stop_sandbox_process`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        return proc, _await_listening(proc, module, startup_timeout_s)
    except BaseException:
        stop_sandbox_process(proc)
        raise


def _await_listening(proc: subprocess.Popen[bytes], module: str, timeout_s: float) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout_s
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{module} did not print LISTENING within {timeout_s} s")
            if not selector.select(remaining):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"{module} exited before listening (exit code {proc.wait()})")
            buffer += chunk
            for line in buffer.split(b"\n")[:-1]:
                if line.startswith(b"LISTENING "):
                    return line[len(b"LISTENING ") :].decode().strip()


def stop_sandbox_process(proc: subprocess.Popen[bytes], timeout_s: float = _STOP_TIMEOUT_S) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@contextlib.contextmanager
def sandbox_process(**config: Any) -> Iterator[str]:
    """Context-managed `start_sandbox_process`; yields the base URL."""
    proc, base_url = start_sandbox_process(**config)
    try:
        yield base_url
    finally:
        stop_sandbox_process(proc)
