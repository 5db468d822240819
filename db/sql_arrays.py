"""Array parameters for set-based statements: `column = ANY(:ids)` keeps one statement text (and one
prepared plan) whatever the number of ids, where an expanded `IN (...)` would not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

__all__ = ["uuid_array"]


def uuid_array(name: str, values: Sequence[UUID]) -> sa.BindParameter[Any]:
    """A uuid[] parameter, for `column == sa.any_(uuid_array("ids", ids))`."""
    return sa.bindparam(name, list(values), type_=ARRAY(PG_UUID(as_uuid=True)))
