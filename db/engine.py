"""The async engine each process type creates once, named so pg_stat_activity shows who is who."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(
    database_url: str,
    *,
    process_name: str,
    pool_size: int = 10,
    max_overflow: int = 10,
    connect_timeout_s: float = 60.0,
) -> AsyncEngine:
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # Connections are recycled well before typical PaaS / PgBouncer idle timeouts cut them.
        pool_recycle=1800,
        connect_args={
            "server_settings": {"application_name": f"fitnudge-{process_name}"},
            # asyncpg's own default (60 s); a replica sets less, since its reads can go elsewhere.
            "timeout": connect_timeout_s,
        },
    )


async def open_connections(engine: AsyncEngine, count: int) -> None:
    """Open `count` pooled connections now, at start-up, rather than in the first burst of requests:
    each connect plus the dialect's setup queries took long enough that a process's first seconds
    under load had twice the p99 of its later ones (bench/api)."""
    connections = await asyncio.gather(*(engine.connect() for _ in range(count)))
    await asyncio.gather(*(connection.close() for connection in connections))
