"""What the Google and Apple sign-in tests share: settings pointing the verifier at the local JWKS server
(the `jwks_server` fixture, fetched over HTTP), and the claims of valid ID tokens."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from litestar import Litestar

from api.app import create_app
from sandbox.jwks.testing import RunningJwksServer
from settings import Settings
from tests.support.savepoint_database import SavepointDatabase

GOOGLE_CLIENT_IDS = ("test-google-ios.apps.example", "test-google-web.apps.example")
APPLE_CLIENT_IDS = ("app.fitnudge.test",)


def provider_settings(settings: Settings, server: RunningJwksServer, **overrides: Any) -> Settings:
    return replace(
        settings,
        google_client_ids=GOOGLE_CLIENT_IDS,
        apple_client_ids=APPLE_CLIENT_IDS,
        google_jwks_url=server.jwks_url,
        apple_jwks_url=server.jwks_url,
        **overrides,
    )


def provider_app(settings: Settings, database: SavepointDatabase, server: RunningJwksServer) -> Litestar:
    return create_app(provider_settings(settings, server), database=database)


def google_claims(**overrides: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    return {
        "iss": "https://accounts.google.com",
        "aud": GOOGLE_CLIENT_IDS[0],
        "sub": f"google-{tag}",
        "email": f"g-{tag}@example.com",
        "email_verified": True,
        "name": "Grace Hopper",
    } | overrides


def apple_claims(**overrides: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    # Apple puts no name in its tokens and has sent email_verified as a string.
    return {
        "iss": "https://appleid.apple.com",
        "aud": APPLE_CLIENT_IDS[0],
        "sub": f"apple-{tag}",
        "email": f"a-{tag}@privaterelay.example.com",
        "email_verified": "true",
    } | overrides
