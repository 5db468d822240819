"""The async engine each process type creates once, named so pg_stat_activity shows who is who."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(
    database_url: str,
    *,
    process_name: str,
    pool_size: int = 10,
    max_overflow: int = 10,
) -> AsyncEngine:
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # Connections are recycled well before typical PaaS / PgBouncer idle timeouts cut them.
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": f"fitnudge-{process_name}"}},
    )
