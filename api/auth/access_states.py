"""Whether a user's access tokens are still honoured: their token version and account status, cached
in Redis so an authenticated request costs one GET.

Every access token carries `tv`, the user's users.token_version when it was issued. A change of the
account's status or password bumps the version in the same transaction, and deleting the account
removes the row (api/auth/revocation.py); every token issued before is refused from the next request
on (api/auth/jwt.py) instead of living out its ACCESS_TOKEN_TTL_SECONDS.

The cache: `<REDIS_KEY_PREFIX>:access-state:<user id>` = `<version>:<status>`, kept for
CACHE_TTL_SECONDS. Opening a session stores it; a miss reads the users row (one primary-key lookup)
and fills the key; a deleted account is stored as DELETED. Redis holds nothing PostgreSQL cannot
rebuild: a lost key costs one read.

Races. A request or a login that read the row just before a revocation committed may write the old
state after the revocation's own after-commit write. Every write therefore goes through one script
that keeps the stored value when its version is newer: versions only grow (DELETED is above any real
one), so a stale fill can never replace a newer state, and two revocations' writes land in either
order. What is left is bounded by the TTL: a revocation whose after-commit write failed, or a key
evicted between the two writes. The opposite case, a token newer than the cached state (issued right
after a revocation, before its cache write), re-reads PostgreSQL instead of being refused.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

import redis.asyncio as aioredis

from db.users import AccessState, read_access_state
from services.transaction import Database

# Bounds how long a revocation whose after-commit write failed leaves tokens working (a third of the
# default access-token life). An active user costs one primary-key read per interval, and none after a
# login or refresh, which store the state (api/auth/sessions.py).
CACHE_TTL_SECONDS = 300
# users.token_version is an int4, so no real version reaches this: nothing overwrites a deletion.
DELETED: Final = AccessState(token_version=2**31, status="deleted")

# KEYS[1] the user's key; ARGV[1] the version, ARGV[2] the value, ARGV[3] the TTL. Keeps a newer value.
_STORE_UNLESS_NEWER = """
local stored = redis.call('GET', KEYS[1])
if stored and tonumber(string.match(stored, '^%d+')) > tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


def _encode(state: AccessState) -> str:
    return f"{state.token_version}:{state.status}"


def _decode(value: bytes | str) -> AccessState:
    # The API's Redis client returns bytes (it is built without decode_responses).
    text = value.decode() if isinstance(value, bytes) else value
    version, _, status = text.partition(":")
    return AccessState(token_version=int(version), status=status)


class AccessStates:
    """One per web process: the cached access state of each user (see the module doc)."""

    def __init__(self, redis: aioredis.Redis, database: Database, key_prefix: str) -> None:
        self._redis = redis
        self._database = database
        self._key_prefix = f"{key_prefix}:access-state:"
        self._store_script = redis.register_script(_STORE_UNLESS_NEWER)

    def key(self, user_id: UUID) -> str:
        return f"{self._key_prefix}{user_id}"

    async def current(self, user_id: UUID, *, token_version: int) -> AccessState:
        """The user's state, from Redis unless the key is missing or older than the presented token."""
        cached = await self._redis.get(self.key(user_id))
        if cached is not None:
            state = _decode(cached)
            if state.token_version >= token_version:
                return state
        async with self._database.single_statement() as connection:
            state = await read_access_state(connection, user_id) or DELETED
        await self.store(user_id, state)
        return state

    async def store(self, user_id: UUID, state: AccessState) -> None:
        """Cache `state` unless a newer one is already cached."""
        await self._store_script(
            keys=[self.key(user_id)], args=[state.token_version, _encode(state), CACHE_TTL_SECONDS]
        )
