"""What the OpenAPI document (/schema) says about errors and tokens, made true for every operation.

Litestar documents a 400 with its own body for any handler that takes input, and the JWT plugin marks
every operation as needing a token. Here, once the app is built (before the document is first
generated): every operation declares its errors with the body api/errors.py sends, `{detail, code}`
(400 for a broken rule, 422 for malformed input, 401 where a token is needed, `default` for the
rest: 403, 404, 409, 413, 429 and 503 depend on the rules each route applies), and the routes of
api/auth/jwt.py PUBLIC_PATHS say that they need none (`security: [{}]`).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi import ResponseSpec
from litestar.routes import HTTPRoute

from api.auth.jwt import PUBLIC_PATHS


class ErrorOut(msgspec.Struct):
    """Every error body; a few carry more fields beside these two (422's `errors`, limit counts)."""

    detail: str
    code: str


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorOut, description=description, generate_examples=False)


_RULE_BROKEN = _error("A rule of the route refused the request")
_MALFORMED = _error("Malformed input: a parameter or body field of the wrong type, shape or size")
_NO_TOKEN = _error("No bearer token, or one that is invalid, expired or revoked")
_OTHER_ERRORS = _error(
    "Refused: 403 plan or role, 404 unknown or not visible, 409 conflict, 413 too large, "
    "429 limit reached, 503 unavailable"
)
_PUBLIC = re.compile("|".join(PUBLIC_PATHS))
# OpenAPI's spelling of "this operation needs no credentials", beside the document's global bearer.
_NO_SECURITY: list[dict[str, list[str]]] = [{}]


def document_errors_and_security(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        public = _PUBLIC.match(route.path) is not None
        responses: dict[Any, ResponseSpec] = {400: _RULE_BROKEN, 422: _MALFORMED, "default": _OTHER_ERRORS}
        if not public:
            responses[401] = _NO_TOKEN
        for handler in route.route_handlers:
            handler.responses = {**responses, **(handler.responses or {})}
            if public:
                handler.security = _NO_SECURITY
