"""The opaque refresh token a client holds: `<family>.<token id>.<secret>`.

Family and token id (32 hex characters each) locate the row; the secret (256 random bits) proves
possession and is stored only as its SHA-256. A fast hash is enough here: the secret is random, not a
password, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

_TOKEN = re.compile(r"(?P<family>[0-9a-f]{32})\.(?P<token_id>[0-9a-f]{32})\.(?P<secret>[A-Za-z0-9_-]{43})")
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class RefreshTokenParts:
    family: str
    token_id: str
    secret: str

    @property
    def value(self) -> str:
        return f"{self.family}.{self.token_id}.{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hashlib.sha256(self.secret.encode()).hexdigest()

    def matches(self, stored_hash: str) -> bool:
        return hmac.compare_digest(self.secret_hash, stored_hash)


def new_refresh_token(family: str | None = None) -> RefreshTokenParts:
    """A fresh token: in a new family (login, sign-up) or in `family` (rotation)."""
    return RefreshTokenParts(
        family=family or uuid.uuid4().hex,
        token_id=uuid.uuid4().hex,
        secret=secrets.token_urlsafe(SECRET_BYTES),
    )


def parse_refresh_token(value: str) -> RefreshTokenParts | None:
    match = _TOKEN.fullmatch(value)
    if match is None:
        return None
    return RefreshTokenParts(family=match["family"], token_id=match["token_id"], secret=match["secret"])
