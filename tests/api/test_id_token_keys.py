"""The provider key cache of api/auth/id_tokens.py against the local JWKS server over HTTP: rotated keys
are found by one refetch, made-up `kid`s cannot force refetches, an unreachable key set is a 503."""

from __future__ import annotations

import socket

import pytest

from api.auth.id_tokens import IdentityProvider, IdTokenVerifier
from domain.errors import Unauthenticated, Unavailable
from sandbox.jwks.testing import running_jwks_server
from tests.api.provider_support import GOOGLE_CLIENT_IDS, google_claims


def google_verifier(jwks_url: str, *, refetch_cooldown_seconds: float) -> IdTokenVerifier:
    return IdTokenVerifier(
        IdentityProvider.GOOGLE,
        jwks_url=jwks_url,
        audiences=GOOGLE_CLIENT_IDS,
        refetch_cooldown_seconds=refetch_cooldown_seconds,
    )


async def test_a_token_signed_by_a_rotated_in_key_is_verified_after_one_refetch() -> None:
    with running_jwks_server() as server:
        verifier = google_verifier(server.jwks_url, refetch_cooldown_seconds=0)
        before = await verifier.verify(server.keys.sign(google_claims(sub="before")))
        server.keys.rotate()

        after = await verifier.verify(server.keys.sign(google_claims(sub="after")))

    assert (before.subject, after.subject) == ("before", "after")


async def test_an_unknown_kid_does_not_refetch_again_within_the_cooldown() -> None:
    with running_jwks_server() as server:
        verifier = google_verifier(server.jwks_url, refetch_cooldown_seconds=3600)
        await verifier.verify(server.keys.sign(google_claims()))
        server.keys.rotate()

        with pytest.raises(Unauthenticated) as refused:
            await verifier.verify(server.keys.sign(google_claims()))

    assert refused.value.code == "invalid_id_token"


async def test_an_unreachable_key_set_answers_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with running_jwks_server() as server:
        token = server.keys.sign(google_claims())
    verifier = google_verifier(f"http://127.0.0.1:{closed_port}/keys", refetch_cooldown_seconds=0)

    with pytest.raises(Unavailable) as unavailable:
        await verifier.verify(token)

    assert unavailable.value.code == "provider_unavailable"
