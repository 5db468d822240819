"""Keyset pagination for list routes (domain.md §1.2): `limit` + an opaque `cursor`.

A cursor is the sort key of the last row served, base64url-encoded JSON; clients treat it as opaque.
The next page's cursor goes in `next_cursor` (object bodies) or the `X-Next-Cursor` header (bare
arrays), and is absent on the last page. Fetch `limit + 1` rows to know whether a next page exists.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain.errors import InvalidInput

MAX_LIMIT = 100
NEXT_CURSOR_HEADER = "X-Next-Cursor"

RowT = TypeVar("RowT")


def encode_cursor(*key: date | datetime | UUID | int | str) -> str:
    parts = [value.isoformat() if isinstance(value, date | datetime) else str(value) for value in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *types: type[Any]) -> tuple[Any, ...]:
    """Decode a cursor into values of the given types (datetime, date, UUID, int, str)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(parts, list) or len(parts) != len(types):
            raise ValueError("cursor shape")
        return tuple(_parse(kind, part) for kind, part in zip(types, parts, strict=True))
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as error:
        raise InvalidInput("cursor is not valid for this list", code="invalid_cursor") from error


def _parse(kind: type[Any], raw: str) -> Any:
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if kind is UUID:
        return UUID(raw)
    if kind is int:
        return int(raw)
    return str(raw)


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    rows: Sequence[RowT]
    next_cursor: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {NEXT_CURSOR_HEADER: self.next_cursor} if self.next_cursor else {}


def page_of(rows: Sequence[RowT], limit: int, cursor_of: Any) -> Page[RowT]:
    """Cut the `limit + 1` rows fetched to one page and derive the next cursor from its last row."""
    if len(rows) <= limit:
        return Page(rows=rows, next_cursor=None)
    kept = rows[:limit]
    return Page(rows=kept, next_cursor=cursor_of(kept[-1]))
