"""An HTTP client that drives the ASGI app on the test's own event loop.

Litestar's AsyncTestClient runs the app on a portal thread with another loop, where the test's
asyncpg connection (the rolled-back transaction) cannot be used; httpx's ASGI transport plus the
app's own lifespan keeps everything on one loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

import httpx
from litestar import Litestar

T = TypeVar("T")


@asynccontextmanager
async def api_client(
    app: Litestar, *, raise_app_exceptions: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    # Litestar's precise ASGI types are narrower than httpx's generic ASGI callable; the app is ASGI.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)  # type: ignore[arg-type]
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@asynccontextmanager
async def in_own_task(manager: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit `manager` in one dedicated task.

    pytest-asyncio runs an async fixture's setup and teardown in different tasks, which anyio's
    cancel scopes (used by Litestar's lifespan) refuse; a task that owns the context avoids that.
    """
    entered: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    release = asyncio.Event()

    async def hold() -> None:
        try:
            async with manager as value:
                entered.set_result(value)
                await release.wait()
        except BaseException as error:
            if not entered.done():
                entered.set_exception(error)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await entered
    finally:
        release.set()
        await task
