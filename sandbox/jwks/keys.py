"""RSA signing keys, their public JWK set, and RS256 ID tokens signed with them."""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

# Google's tokens live an hour; a demo token lives as long when its claims name no expiry.
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class SigningKeys:
    """The key set a provider publishes: the newest key signs, older ones stay published (as the
    providers keep them while tokens they signed are still alive). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: list[tuple[str, rsa.RSAPrivateKey]] = []
        self.rotate()

    @property
    def current_kid(self) -> str:
        with self._lock:
            return self._keys[0][0]

    def rotate(self) -> str:
        """Publish a new key and sign with it from now on; returns its `kid`."""
        kid = secrets.token_hex(8)
        with self._lock:
            self._keys.insert(0, (kid, new_private_key()))
        return kid

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            keys = list(self._keys)
        published = []
        for kid, key in keys:
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            published.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": published}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """An RS256 token of the claims (with `iat` and `exp` filled in when absent), signed by the
        key `kid` (default: the newest)."""
        with self._lock:
            kid = kid or self._keys[0][0]
            key = dict(self._keys)[kid]
        now = int(time.time())
        body = {"iat": now, "exp": now + DEFAULT_TOKEN_LIFETIME_SECONDS, **claims}
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})
