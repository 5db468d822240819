"""Replay protection for ID tokens that carry a nonce: each nonce is accepted once.

A used nonce is remembered in Redis (SET NX) until the token it came in expires, after which the token
is refused anyway, so the key expires with it. Redis rather than PostgreSQL: the check is one round
trip with no table to prune, and the entries are only a replay guard. Losing them (a Redis flush or
failover) reopens the replay window of the tokens that have not expired yet, an hour at most for
Google and ten minutes for Apple; nothing else depends on them.
"""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis

from api.auth.id_tokens import LEEWAY_SECONDS, ProviderIdentity
from domain.errors import Unauthenticated


class NonceLedger:
    def __init__(self, redis: aioredis.Redis, key_prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}:id-token-nonce"

    async def spend(self, identity: ProviderIdentity) -> None:
        """Record the token's nonce as used; 401 `id_token_replayed` when it was used before."""
        if identity.nonce is None:
            return
        digest = hashlib.sha256(identity.nonce.encode()).hexdigest()
        key = f"{self._prefix}:{identity.provider.value}:{digest}"
        # EXAT: the entry lasts as long as the token is accepted, clock leeway included.
        first = await self._redis.set(key, b"1", nx=True, exat=identity.expires_at + LEEWAY_SECONDS)
        if not first:
            raise Unauthenticated("This sign-in token was already used.", code="id_token_replayed")
