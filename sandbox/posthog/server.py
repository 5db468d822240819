"""A stand-in for PostHog's capture API: `POST /batch/` with `{"api_key", "batch": [events]}` (and
`POST /i/v0/e/` with one event) answers `{"status": 1}` like PostHog and keeps the events;
`GET /__sandbox/events` lists them, `POST /__sandbox/reset` forgets them. A request without an
`api_key` gets PostHog's 401."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any

from ..json_http import JsonHandler

BATCH_PATH = "/batch/"
SINGLE_PATH = "/i/v0/e/"
EVENTS_PATH = "/__sandbox/events"
MAX_BODY_BYTES = 20 * 1024 * 1024


class PostHogServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self.requests = 0

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def keep(self, api_key: str, events: list[dict[str, Any]]) -> None:
        with self._lock:
            self.requests += 1
            self._events.extend({**event, "api_key": api_key} for event in events)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
            self.requests = 0


class _Handler(JsonHandler):
    server: PostHogServer

    def do_GET(self) -> None:  # noqa: N802  (the name http.server dispatches to)
        if self.path == EVENTS_PATH:
            self.answer(HTTPStatus.OK, {"requests": self.server.requests, "events": self.server.events()})
        else:
            self.answer(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802  (the name http.server dispatches to)
        if self.path == "/__sandbox/reset":
            self.server.reset()
            self.answer(HTTPStatus.OK, {"status": 1})
            return
        if self.path not in (BATCH_PATH, SINGLE_PATH):
            self.answer(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(min(length, MAX_BODY_BYTES)) or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.answer(
                HTTPStatus.BAD_REQUEST, {"type": "validation_error", "detail": "Malformed request data"}
            )
            return
        api_key = body.get("api_key")
        if not api_key:
            self.answer(
                HTTPStatus.UNAUTHORIZED, {"type": "authentication_error", "detail": "API key required"}
            )
            return
        events = body.get("batch") if self.path == BATCH_PATH else [body]
        if not isinstance(events, list) or not all(
            isinstance(event, dict) and event.get("event") for event in events
        ):
            self.answer(HTTPStatus.BAD_REQUEST, {"type": "validation_error", "detail": "Invalid payload"})
            return
        self.server.keep(str(api_key), events)
        self.answer(HTTPStatus.OK, {"status": 1})
