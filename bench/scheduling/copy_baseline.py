"""The yardstick of the write benchmarks: PostgreSQL COPY of the same rows into the same tables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import asyncpg


async def copy_seconds(
    connection: asyncpg.Connection, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]
) -> float:
    """Seconds COPY takes to write `records` (built beforehand, so only the write is timed)."""
    started = time.perf_counter()
    await connection.copy_records_to_table(table, columns=list(columns), records=records)
    return time.perf_counter() - started
