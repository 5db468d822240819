"""The calendar date of an instant in a time zone, in SQL (DST-aware: PostgreSQL's timezone())."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

__all__ = ["local_date_at"]


def local_date_at(zone: sa.ColumnElement[str], instant: sa.ColumnElement[Any]) -> sa.ColumnElement[date]:
    return sa.cast(sa.func.timezone(zone, instant), sa.Date)
