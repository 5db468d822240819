"""Verifying Google and Apple ID tokens against the provider's published keys (JWKS).

A token is accepted when its RS256 signature verifies with the key its `kid` names in the provider's
key set, `iss` is the provider's, `aud` is one of our client ids (one per app platform), and it has
not expired. One `PyJWKClient` per provider per process caches the key set for an hour; a `kid` it
does not know (the provider rotated its keys) refetches the set once, at most once per cooldown, so
tokens with made-up `kid`s cannot make us hammer the provider. PyJWKClient fetches with urllib,
synchronously: every lookup runs in a worker thread, never on the event loop.

A token carrying a `nonce` is accepted once: api/auth/nonces.py remembers it until the token expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from jwt import PyJWKClient, PyJWKClientConnectionError, PyJWKClientError

from api.auth.schemas import normalized_email
from domain.errors import Unauthenticated, Unavailable
from settings import Settings

KEY_SET_LIFESPAN_SECONDS = 3600
# Between two refetches forced by an unknown `kid`.
DEFAULT_REFETCH_COOLDOWN_SECONDS = 30
FETCH_TIMEOUT_SECONDS = 5
# Both providers sign ID tokens with RS256; accepting only it rules out algorithm confusion.
ALGORITHMS = ["RS256"]
# Tolerated clock difference between the provider and us.
LEEWAY_SECONDS = 30


class IdentityProvider(StrEnum):
    GOOGLE = "google"
    APPLE = "apple"


PROVIDER_LABELS = {IdentityProvider.GOOGLE: "Google", IdentityProvider.APPLE: "Apple"}
# As each provider publishes them (Google's discovery document lists both forms).
ISSUERS = {
    IdentityProvider.GOOGLE: ("https://accounts.google.com", "accounts.google.com"),
    IdentityProvider.APPLE: ("https://appleid.apple.com",),
}


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """What a verified ID token says about its holder."""

    provider: IdentityProvider
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    nonce: str | None
    expires_at: int


def _email_verified(claims: dict[str, Any]) -> bool:
    # Google sends a JSON boolean; Apple has sent both a boolean and the string "true".
    return claims.get("email_verified") in (True, "true")


def _nonce_matches(token_nonce: str, sent: str) -> bool:
    # Apple's recommended flow hands the provider the SHA-256 (hex) of the nonce the app keeps, and
    # the app sends us the raw value; Google echoes the nonce as given.
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, which either side may hold.
    token_bytes, sent_bytes = token_nonce.encode(), sent.encode()
    hashed = hashlib.sha256(sent_bytes).hexdigest().encode()
    return hmac.compare_digest(token_bytes, sent_bytes) or hmac.compare_digest(token_bytes, hashed)


class IdTokenVerifier:
    """The keys and accepted audiences of one provider."""

    def __init__(
        self,
        provider: IdentityProvider,
        *,
        jwks_url: str,
        audiences: tuple[str, ...],
        refetch_cooldown_seconds: float = DEFAULT_REFETCH_COOLDOWN_SECONDS,
    ) -> None:
        self.provider = provider
        self._audiences = list(audiences)
        self._keys = PyJWKClient(
            jwks_url,
            lifespan=KEY_SET_LIFESPAN_SECONDS,
            timeout=FETCH_TIMEOUT_SECONDS,
            cooldown_duration=refetch_cooldown_seconds,
        )

    @property
    def label(self) -> str:
        return PROVIDER_LABELS[self.provider]

    async def verify(self, token: str, *, sent_nonce: str | None = None) -> ProviderIdentity:
        """The identity in a valid token; 401 `invalid_id_token` for any invalid one, 503 when the
        provider's keys cannot be fetched, 503 `provider_not_configured` without client ids."""
        if not self._audiences:
            raise Unavailable(
                f"{self.label} sign-in is not configured on this server.", code="provider_not_configured"
            )
        try:
            key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, token)
        except PyJWKClientConnectionError:
            raise Unavailable(
                f"{self.label}'s signing keys cannot be fetched right now; try again.",
                code="provider_unavailable",
            ) from None
        except (PyJWKClientError, jwt.InvalidTokenError):
            raise self._rejected("its signing key is unknown") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audiences,
                issuer=ISSUERS[self.provider],
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise self._rejected("it has expired") from None
        except jwt.InvalidTokenError as error:
            raise self._rejected(str(error)) from None
        token_nonce = claims.get("nonce")
        if sent_nonce is not None and not (
            isinstance(token_nonce, str) and _nonce_matches(token_nonce, sent_nonce)
        ):
            raise self._rejected("its nonce is not the one sent")
        email = claims.get("email")
        name = claims.get("name")
        return ProviderIdentity(
            provider=self.provider,
            subject=str(claims["sub"]),
            email=normalized_email(email) if isinstance(email, str) and email.strip() else None,
            email_verified=_email_verified(claims),
            name=name if isinstance(name, str) and name.strip() else None,
            nonce=token_nonce if isinstance(token_nonce, str) else None,
            expires_at=int(claims["exp"]),
        )

    def _rejected(self, reason: str) -> Unauthenticated:
        return Unauthenticated(f"The {self.label} token is not valid: {reason}.", code="invalid_id_token")


def build_verifiers(settings: Settings) -> dict[IdentityProvider, IdTokenVerifier]:
    """One verifier (and key cache) per provider, for the lifetime of a web process."""
    return {
        IdentityProvider.GOOGLE: IdTokenVerifier(
            IdentityProvider.GOOGLE, jwks_url=settings.google_jwks_url, audiences=settings.google_client_ids
        ),
        IdentityProvider.APPLE: IdTokenVerifier(
            IdentityProvider.APPLE, jwks_url=settings.apple_jwks_url, audiences=settings.apple_client_ids
        ),
    }
