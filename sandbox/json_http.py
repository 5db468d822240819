"""What the stdlib-server sandboxes (jwks, posthog) share: a JSON answer, and serving from the command
line until interrupted (printing the `LISTENING <url>` line `make run` waits for)."""

from __future__ import annotations

import contextlib
import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonHandler(BaseHTTPRequestHandler):
    def answer(self, status: HTTPStatus, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: `make run` shares the terminal with the API's own logs."""


def serve_until_interrupted(server: ThreadingHTTPServer, base_url: str) -> int:
    print(f"LISTENING {base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()
    return 0
