"""Login and sign-up attempt limits, per client IP and per account (email), in Redis (trap 15).

Each attempt is one atomic step (INCR, EXPIRE NX and TTL in a MULTI transaction): concurrent
attempts in different web processes can never read the same count, and the window is fixed at the
first attempt, so hammering does not extend it. Keys carry the route's full path (with /api/v1), the
IP check runs as a guard before the body is read, and the account check runs once the body names
the email. Over the limit → 429 `rate_limited` with Retry-After.

Litestar's RateLimitMiddleware was not used: it reads and rewrites a JSON history with GET and SET
under a per-process lock, which loses counts across processes, keys without the route, and sends no
Retry-After.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from api.auth.client_address import client_ip
from api.auth.schemas import normalized_email
from api.resources import AppResources, app_resources

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class AttemptCount:
    count: int
    retry_after_seconds: int


async def count_attempt(redis: aioredis.Redis, key: str, *, window_seconds: int) -> AttemptCount:
    """Add one attempt to the fixed window stored at `key` (opened by the first attempt)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    return AttemptCount(count=int(count), retry_after_seconds=max(int(ttl), 1))


def _route_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.scope["path_template"].rstrip("/")


async def _enforce(resources: AppResources, key: str) -> None:
    limit = resources.settings.auth_rate_limit_per_minute
    attempt = await count_attempt(
        resources.redis,
        f"{resources.settings.redis_key_prefix}:rate-limit:{key}",
        window_seconds=WINDOW_SECONDS,
    )
    if attempt.count > limit:
        raise too_many_attempts(attempt.retry_after_seconds)


def too_many_attempts(retry_after_seconds: int, detail: str | None = None) -> TooManyRequestsException:
    """The 429 every limit answers with, Retry-After included."""
    return TooManyRequestsException(
        detail=detail or f"Too many attempts; try again in {retry_after_seconds} seconds.",
        headers={"Retry-After": str(retry_after_seconds)},
    )


def _limits_on(resources: AppResources) -> bool:
    return resources.settings.auth_rate_limit_per_minute > 0


async def limit_attempts_per_ip(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Route guard: count this attempt against the client's IP (before the body is parsed)."""
    resources = app_resources(connection.app)
    if not _limits_on(resources):
        return
    ip = client_ip(connection, resources.settings.trusted_proxy_count) or "unknown"
    await _enforce(resources, f"{_route_key(connection)}:ip:{ip}")


async def limit_attempts_per_account(connection: ASGIConnection[Any, Any, Any, Any], email: str) -> None:
    """Count this attempt against the account: its email, or its user id where the route has no email."""
    resources = app_resources(connection.app)
    if not _limits_on(resources):
        return
    await _enforce(resources, f"{_route_key(connection)}:email:{account_key(email)}")


def account_key(email: str) -> str:
    """How an account appears in Redis keys: its email, hashed (no addresses in Redis)."""
    return hashlib.sha256(normalized_email(email).encode()).hexdigest()
