"""Keyset pagination for list routes (docs/domain.md §1.2): `limit` + an opaque `cursor`.

A cursor is the sort key of the last row served, base64url-encoded JSON; clients treat it as opaque.
The next page's cursor goes in `next_cursor` (object bodies) or the `X-Next-Cursor` header (bare
arrays), and is absent on the last page. Fetch `limit + 1` rows to know whether a next page exists.

Every paging parameter a list route takes is one of the types below, so each is bounded the same way
(422 beyond): `limit` 1–100 (§1.2), the older client's `offset` 0–10 000 and 1-based `page` 1–1 000
(far past any real list, and well inside what PostgreSQL's OFFSET takes: an unbounded one answered 500),
and a cursor of at most 512 characters (ours are under 100).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar.params import QueryParameter

from domain.errors import InvalidInput

MAX_LIMIT: Final = 100
MAX_OFFSET: Final = 10_000
MAX_PAGE: Final = 1_000
CURSOR_MAX_LENGTH: Final = 512
NEXT_CURSOR_HEADER = "X-Next-Cursor"

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int | None, QueryParameter(ge=0, le=MAX_OFFSET)]
PageNumber = Annotated[int | None, QueryParameter(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, QueryParameter(max_length=CURSOR_MAX_LENGTH)]

RowT = TypeVar("RowT")

# A cursor's instants were written aware; a naive one is not ours.
_KEY_TYPES: Final[dict[type[Any], Any]] = {datetime: Annotated[datetime, msgspec.Meta(tz=True)]}


def encode_cursor(*key: date | datetime | UUID | str | int) -> str:
    parts = [_key_part(value) for value in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def _key_part(value: date | datetime | UUID | str | int) -> str | int:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value if isinstance(value, int) else str(value)


def decode_cursor(cursor: str, *types: type[Any]) -> tuple[Any, ...]:
    """The sort key a cursor carries, as values of the given types (datetime, date, UUID, int); 422 when it
    is not one this server issues: malformed, nested, naive, or an instant PostgreSQL cannot hold."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        # Decoded into the key's own types: nested arrays fail at the first element, never recurse.
        key_type = tuple.__class_getitem__(tuple(_KEY_TYPES.get(kind, kind) for kind in types))
        key = msgspec.json.decode(base64.urlsafe_b64decode(padded), type=key_type)
        # In UTC, "0001-01-01T00:00:00+14:00" is year 0: out of range for Python and PostgreSQL alike.
        return tuple(value.astimezone(UTC) if isinstance(value, datetime) else value for value in key)
    except (ValueError, msgspec.DecodeError, OverflowError) as error:
        raise InvalidInput("cursor is not valid for this list", code="invalid_cursor") from error


def rows_to_skip(*, offset: int | None, page: int | None, limit: int) -> int:
    """The older client's position: `offset` wins over the 1-based `page`; neither means the start."""
    if offset is not None:
        return offset
    return (page - 1) * limit if page is not None else 0


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
