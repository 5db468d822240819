"""The test session's own environment, set before any project module reads settings.

Each pytest session gets its own database (migrated by Alembic, so the migrations run on every test
session), its own Dramatiq namespace and its own prefix for the API's Redis keys, so concurrent
sessions on one machine never collide.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

SESSION_TAG = uuid.uuid4().hex[:8]
BASE_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get(
    "DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge"
)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


TEST_DATABASE_NAME = f"fitnudge_test_{SESSION_TAG}"
TEST_DATABASE_URL = with_database(BASE_DATABASE_URL, TEST_DATABASE_NAME)
MAINTENANCE_DATABASE_URL = with_database(BASE_DATABASE_URL, "postgres")


def apply() -> None:
    os.environ["APP_ENV"] = "test"
    os.environ["DATABASE_URL"] = TEST_DATABASE_URL
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["DRAMATIQ_NAMESPACE"] = f"fitnudge-test-{SESSION_TAG}"
    os.environ["REDIS_KEY_PREFIX"] = f"fitnudge-test-{SESSION_TAG}"
    os.environ.setdefault("AUTH_RATE_LIMIT_PER_MINUTE", "0")
    # Worker and scheduler processes of concurrent sessions must not fight over the metrics ports; the
    # tests that read those endpoints pick free ports themselves.
    os.environ["WORKER_METRICS_PORT"] = "0"
    os.environ["SCHEDULER_METRICS_PORT"] = "0"
    # A developer's real key must never make tests call out (and pay); tests that want a model use
    # the stub (tests/support/ai_stub.py).
    os.environ.pop("OPENAI_API_KEY", None)
    os.environ.pop("OPENAI_BASE_URL", None)
