"""The ceiling of the check-in benchmark, served exactly like the real app (uvicorn, same flags): one
plain single-row INSERT of a challenge check-in through raw asyncpg, with a pool of the app's size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.params import FromPath

from settings import get_settings

INSERT = """
INSERT INTO challenge_check_ins (challenge_id, user_id, check_in_date, points_awarded)
VALUES ($1, $2, (now() AT TIME ZONE 'UTC')::date, 10)
RETURNING id
"""


@get("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


@post("/insert/{challenge_id:uuid}/{user_id:uuid}")
async def insert(state: State, challenge_id: FromPath[UUID], user_id: FromPath[UUID]) -> dict[str, str]:
    pool: asyncpg.Pool = state.pool
    return {"id": str(await pool.fetchval(INSERT, challenge_id, user_id))}


def create_app() -> Litestar:
    @asynccontextmanager
    async def pool(app: Litestar) -> AsyncIterator[None]:
        settings = get_settings()
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        size = settings.db_pool_size
        app.state.pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[bare, insert], lifespan=[pool])
