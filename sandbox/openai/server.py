"""Serving the stub: uvicorn on a pre-bound socket, set up as the Expo sandbox is."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.expo.server import SandboxServer, base_url_for, bind_socket, uvicorn_config

from .app import StubApp

__all__ = ["base_url_for", "bind_socket", "build_server", "stub_base_url"]

API_PREFIX = "/v1"


def stub_base_url(server_url: str) -> str:
    """What OPENAI_BASE_URL is set to: the SDK appends `/chat/completions` to it."""
    return server_url + API_PREFIX


def build_server(app: StubApp, on_started: Callable[[], None], log_level: str = "warning") -> SandboxServer:
    return SandboxServer(uvicorn_config(app, "httptools", log_level), on_started)
