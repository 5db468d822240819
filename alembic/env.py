"""Alembic environment: async engine, one advisory lock so concurrent releases queue up, and
lock/statement timeouts so a migration never hangs a busy database indefinitely."""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import context
from db.tables import metadata
from settings import get_settings

# Any constant works; it only has to be the same for every process running migrations.
MIGRATION_ADVISORY_LOCK_ID = 727_001
LOCK_TIMEOUT = os.environ.get("MIGRATION_LOCK_TIMEOUT", "10s")
STATEMENT_TIMEOUT = os.environ.get("MIGRATION_STATEMENT_TIMEOUT", "120s")

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # Tables that exist in the database but not in our metadata (extensions, other tools) are not ours
    # to drop.
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"))
        # Transaction-scoped, so a crashed release never leaves the lock behind.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_ADVISORY_LOCK_ID})
        context.run_migrations()


async def run_online() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = create_async_engine(
        url,
        poolclass=pool.NullPool,
        connect_args={"server_settings": {"application_name": "fitnudge-release"}},
    )
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
asyncio.run(run_online())
