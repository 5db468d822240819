"""The HTTP side: `GET /keys` is the JWK set (what GOOGLE_JWKS_URL / APPLE_JWKS_URL point at),
`POST /__sandbox/id-token` signs the posted claims (a JSON object) and answers `{"id_token": …}`,
`POST /__sandbox/rotate` publishes a new signing key and answers `{"kid": …}`."""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import ThreadingHTTPServer

from ..json_http import JsonHandler
from .keys import SigningKeys

KEYS_PATH = "/keys"
MAX_BODY_BYTES = 65_536


class JwksServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], keys: SigningKeys) -> None:
        super().__init__(address, _Handler)
        self.keys = keys

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(JsonHandler):
    server: JwksServer

    def do_GET(self) -> None:  # noqa: N802  (the name http.server dispatches to)
        if self.path == KEYS_PATH:
            self.answer(HTTPStatus.OK, self.server.keys.jwks())
        else:
            self.answer(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802  (the name http.server dispatches to)
        if self.path == "/__sandbox/rotate":
            self.answer(HTTPStatus.OK, {"kid": self.server.keys.rotate()})
            return
        if self.path != "/__sandbox/id-token":
            self.answer(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            claims = json.loads(self.rfile.read(min(length, MAX_BODY_BYTES)) or b"null")
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            self.answer(HTTPStatus.BAD_REQUEST, {"error": "the body must be a JSON object of claims"})
            return
        self.answer(HTTPStatus.OK, {"id_token": self.server.keys.sign(claims)})
