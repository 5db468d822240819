"""Verification codes and password-reset tokens: how they are made, stored and compared.

Only an HMAC-SHA256 of each is stored, keyed by a key derived from JWT_SECRET (so a database leak
alone gives neither codes nor tokens, and a 6-digit code cannot be recovered by hashing all million
candidates without the key). Comparisons use `hmac.compare_digest`. The plain value exists only in
the outgoing mail that carries it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from typing import Final

CODE_DIGITS: Final = 6
# 32 random bytes, URL-safe base64 (43 characters): fits a deep link and is typed by nobody.
RESET_TOKEN_BYTES: Final = 32
_KEY_LABEL: Final = b"fitnudge one-time secrets v1"


class SecretHasher:
    def __init__(self, server_secret: str) -> None:
        # A key of its own, so a code hash is never a value the JWT key signed (domain separation).
        self._key = hmac.new(server_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()

    def digest(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def matches(self, purpose: str, value: str, stored_digest: str) -> bool:
        # As bytes: compare_digest refuses str with non-ASCII characters, and a candidate comes from
        # the caller (a link's query string), so it may hold any.
        return hmac.compare_digest(self.digest(purpose, value).encode(), stored_digest.encode())


def new_verification_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_reset_token() -> str:
    return secrets.token_urlsafe(RESET_TOKEN_BYTES)


@cache
def secret_hasher(server_secret: str) -> SecretHasher:
    return SecretHasher(server_secret)
