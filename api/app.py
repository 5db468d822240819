"""The Litestar application factory: `uvicorn --factory api.app:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import ControllerRouterHandler

from api.auth.access_states import AccessStates
from api.auth.activity import ActivityRecorder
from api.auth.id_tokens import build_verifiers
from api.auth.jwt import build_jwt_auth
from api.auth.nonces import NonceLedger
from api.blog.views import BlogViews
from api.clock import Clock, now_dependency, system_clock
from api.errors import EXCEPTION_HANDLERS
from api.health import HealthController
from api.metrics import metrics, request_metrics
from api.openapi import document_errors_and_security
from api.read_your_writes import ReadYourWrites
from api.request_ids import RequestIds
from api.request_input import ApiRequest, RefuseNulInUrl
from api.resources import AppResources
from api.routes import api_router
from api.transaction import provide_read_transaction, provide_single_read, provide_transaction
from api.write_behind import WriteBehind
from db.engine import create_engine, open_connections
from services.ai.client import build_text_model
from services.log_context import configure_logging
from services.messages import MessageSender
from services.product_events import build_product_events
from services.read_replica import ReplicaReads, refuse_closed_connections
from services.redis_clients import process_redis
from services.statement_timing import time_statements
from services.transaction import Database, EngineDatabase
from settings import Settings, get_settings

logger = logging.getLogger(__name__)

REPLICA_CONNECT_TIMEOUT_S = 2.0


async def _flush_all(buffers: Sequence[WriteBehind[Any]]) -> None:
    """The final write of each buffer at shutdown, even when an earlier one fails."""
    for buffer in buffers:
        try:
            await buffer.flush()
        except Exception:
            logger.exception("a write-behind buffer was not written at shutdown")


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
    clock: Clock = system_clock,
) -> Litestar:
    """Build the app. Tests pass their own `database` (a rolled-back transaction with the broker it
    sends through), extra routes, and a `clock` (api/clock.py) when time matters."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = None
        replica_engine = None
        sender = None
        app_database = database
        if app_database is None:
            # A served app (not one the tests run over their own database) owns the process's logs.
            configure_logging("web", settings.log_format)
            sender = MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
            engine = create_engine(
                settings.database_url,
                process_name="web",
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
            time_statements(engine, "web")
            await open_connections(engine, settings.db_pool_size)
            app_database = EngineDatabase(engine, sender)
        redis = process_redis(settings.redis_url)
        replica = None
        if settings.database_replica_url is not None:
            replica_engine = create_engine(
                settings.database_replica_url,
                process_name="web",
                pool_size=settings.db_replica_pool_size,
                max_overflow=settings.db_max_overflow,
                # A replica that does not answer is skipped (its reads go to the primary), not waited for.
                connect_timeout_s=REPLICA_CONNECT_TIMEOUT_S,
            )
            # Not opened ahead like the primary's pool: a replica that is down at start-up must not
            # keep the web process from serving (its reads go to the primary until it answers).
            refuse_closed_connections(replica_engine)
            time_statements(replica_engine, "web")
            replica = ReplicaReads(replica_engine, app_database, redis, settings.redis_key_prefix)
        activity = ActivityRecorder(app_database)
        blog_views = BlogViews(app_database)
        ai = build_text_model(settings, redis)
        product_events = build_product_events(settings)
        app.state.resources = AppResources(
            settings=settings,
            database=app_database,
            redis=redis,
            activity=activity,
            blog_views=blog_views,
            access_states=AccessStates(redis, app_database, settings.redis_key_prefix),
            id_tokens=build_verifiers(settings),
            nonces=NonceLedger(redis, settings.redis_key_prefix),
            ai=ai,
            product_events=product_events,
            replica=replica,
        )
        buffers: tuple[WriteBehind[Any], ...] = (activity, blog_views)
        # Only on a pool the app owns: a Database handed in may be one shared connection (the tests'
        # rolled-back transaction), which a background writer must not use while a request does.
        # Such an app writes its buffers at shutdown.
        writers = (
            [asyncio.create_task(buffer.flush_periodically()) for buffer in buffers]
            if engine is not None
            else []
        )
        writers.append(asyncio.create_task(product_events.flush_periodically()))
        try:
            yield
        finally:
            for writer in writers:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
            try:
                await _flush_all(buffers)
            finally:
                await ai.aclose()
                await product_events.aclose()
                await redis.aclose()
                if engine is not None:
                    await engine.dispose()
                if replica_engine is not None:
                    await replica_engine.dispose()
                if sender is not None:
                    sender.close()

    jwt_auth = build_jwt_auth(settings)
    app = Litestar(
        route_handlers=[HealthController, metrics, api_router(), *extra_route_handlers],
        dependencies={
            "tx": Provide(provide_transaction),
            "single_read": Provide(provide_single_read),
            "read_tx": Provide(provide_read_transaction),
            "now": now_dependency(clock),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=ApiRequest,
        middleware=[RequestIds(), RefuseNulInUrl(), request_metrics.middleware, ReadYourWrites()],
        lifespan=[lifespan],
        request_max_body_size=settings.request_max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="FitNudge API",
            version="1.0.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        # The root logger is ours (services/log_context.py, set up in the lifespan).
        logging_config=LoggingConfig(log_exceptions="debug", configure_root_logger=False),
        debug=False,
        on_app_init=[jwt_auth.on_app_init],
        state=State({"jwt_auth": jwt_auth}),
    )
    document_errors_and_security(app)
    return app
