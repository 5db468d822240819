"""How request input is read before any handler sees it: one place for what every route must refuse.

* JSON bodies are decoded strictly into the handler's `data` type: a boolean is JSON `true`/`false`
  (not `"true"`, not `1`), a number is a JSON number (not `"5"`). Litestar's own conversion is lax for
  bodies too; query strings stay lax on purpose, since there "true"/"false" and "5" are the only
  spellings there are.
* A body nested deeper than MAX_JSON_DEPTH is refused before anything walks it: no body of ours is
  more than a few levels deep, and a deep one would hit the recursion limit in whatever reads it next
  (the decoder, the JSON encoder that stores a webhook payload).
* A NUL character (U+0000) is refused in bodies, query strings and paths: PostgreSQL can store it in
  neither text nor jsonb, so it could only ever end as a 500. A route that must take the body anyway
  says so with `opt=STRIP_NUL_CHARACTERS` (the RevenueCat webhook, api/webhooks/controller.py).

Every refusal is a 422 with the error body of api/errors.py.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.typing import FieldDefinition

__all__ = [
    "MAX_JSON_DEPTH",
    "NUL_DETAIL",
    "STRIP_NUL_CHARACTERS",
    "ApiRequest",
    "RefuseNulInUrl",
]

MAX_JSON_DEPTH: Final = 32
NUL_DETAIL: Final = "Text may not contain the NUL character (\\u0000)."
TOO_DEEP_DETAIL: Final = f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels."

_STRIP_NUL_KEY: Final = "strip_nul_characters"
STRIP_NUL_CHARACTERS: Final = {_STRIP_NUL_KEY: True}

# In JSON a NUL can only arrive as the escape \u0000 (a raw NUL byte is malformed JSON). It is that
# escape when an odd run of backslashes precedes the "u0000": "\\u0000" is a backslash and "u0000".
_NUL_ESCAPE: Final = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
_ERROR_LOCATION: Final = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<key>.*)`$")


class ApiRequest(Request[Any, Any, Any]):
    """The app's request class (api/app.py): Litestar's, with the body decoded as described above."""

    async def json(self) -> Any:
        if self._json is Empty:
            self._json = self._connection_state.json = _decode_body(
                await self.body(),
                self.route_handler.parsed_data_field,
                strip_nul=bool(self.route_handler.opt.get(_STRIP_NUL_KEY)),
            )
        return self._json


def _decode_body(body: bytes, data_field: FieldDefinition | None, *, strip_nul: bool) -> Any:
    if strip_nul:
        body = _NUL_ESCAPE.sub(rb"\1", body)
    elif _NUL_ESCAPE.search(body):
        raise ValidationException(NUL_DETAIL)
    try:
        value = msgspec.json.decode(body or b"null")
    except msgspec.DecodeError as error:
        raise ValidationException(f"The body is not valid JSON: {error}") from error
    except RecursionError:
        raise ValidationException(TOO_DEEP_DETAIL) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ValidationException(TOO_DEEP_DETAIL)
    if data_field is None:
        return value
    try:
        return msgspec.convert(value, data_field.annotation, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException("Validation failed for the body.", extra=[_located(error)]) from error


def _depth(value: Any) -> int:
    """How many arrays and objects deep a decoded JSON value goes, without recursing."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth <= MAX_JSON_DEPTH:
            pending.extend((child, depth) for child in item)
    return deepest


def _located(error: msgspec.ValidationError) -> dict[str, str]:
    """Litestar's error entry shape: the message and, when msgspec names one, the field's path."""
    match = _ERROR_LOCATION.match(str(error))
    if match is None:
        return {"message": str(error), "source": "body"}
    return {"message": match["message"], "key": match["key"], "source": "body"}


class RefuseNulInUrl(ASGIMiddleware):
    """A NUL in the path or query string (%00) is refused like one in a body."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query or "\x00" in scope["path"]:
            raise ValidationException(NUL_DETAIL)
        await next_app(scope, receive, send)
