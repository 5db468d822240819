"""The two ceilings the API benchmark divides by, served exactly like the real app (uvicorn, same
flags): (a) a bare Litestar JSON route, (b) one primary-key SELECT through raw asyncpg."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.params import FromPath

from settings import get_settings


@get("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


@get("/pk/{user_id:uuid}")
async def by_primary_key(state: State, user_id: FromPath[UUID]) -> dict[str, Any]:
    pool: asyncpg.Pool = state.pool
    row = await pool.fetchrow("SELECT id, name, timezone FROM users WHERE id = $1", user_id)
    return {"id": str(row["id"]), "name": row["name"], "timezone": row["timezone"]} if row else {}


def create_app() -> Litestar:
    @asynccontextmanager
    async def pool(app: Litestar) -> AsyncIterator[None]:
        dsn = get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[bare, by_primary_key], lifespan=[pool])
