"""Password hashing with argon2id (argon2-cffi's PasswordHasher).

Hashing costs tens of milliseconds of CPU by design, so it runs in a worker thread (the C code
releases the GIL) and never stalls the event loop.
"""

from __future__ import annotations

from functools import cache

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN_LENGTH = 8
# Bounds the work an attacker can make one request cost; far beyond any passphrase people type.
PASSWORD_MAX_LENGTH = 128

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane) instead of RFC 9106's 64 MiB / 4 lanes: about
# a tenth of the CPU per login on small instances, still memory-hard. Hashes made with other
# parameters are upgraded on the next login (needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@cache
def _decoy_hash() -> str:
    """A real hash to verify against when the account does not exist or has no password, so an
    unknown email costs the same time as a wrong password (no account enumeration by timing)."""
    return _hasher.hash("decoy password that matches nothing")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_decoy(password: str) -> None:
    _verify(_decoy_hash(), password)


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash still spends one verification and answers False."""
    if password_hash is None:
        await to_thread.run_sync(_verify_decoy, password)
        return False
    return await to_thread.run_sync(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def password_weakness(password: str) -> str | None:
    """What a new password lacks under the app's own rule (its screens check the same: at least 8
    characters with an upper-case letter, a lower-case letter and a digit), or None. Applied where a
    password is chosen anew: reset, set and change."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"at least {PASSWORD_MIN_LENGTH} characters"
    if not any(character.isupper() for character in password):
        return "an upper-case letter"
    if not any(character.islower() for character in password):
        return "a lower-case letter"
    if not any(character.isdigit() for character in password):
        return "a digit"
    return None
