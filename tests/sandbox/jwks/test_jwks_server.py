"""sandbox/jwks over HTTP: the demo token endpoint signs with a key the published set verifies."""

from __future__ import annotations

import httpx
import jwt

from sandbox.jwks.testing import running_jwks_server


def test_a_token_from_the_demo_endpoint_verifies_against_the_published_keys() -> None:
    claims = {"iss": "https://accounts.google.com", "aud": "sandbox-google", "sub": "demo-1"}
    with running_jwks_server() as server, httpx.Client(base_url=server.base_url, trust_env=False) as http:
        token = http.post("/__sandbox/id-token", json=claims).json()["id_token"]
        rotated_kid = http.post("/__sandbox/rotate").json()["kid"]
        rotated_token = http.post("/__sandbox/id-token", json=claims).json()["id_token"]
        keys = jwt.PyJWKClient(server.jwks_url)

        decoded = jwt.decode(
            token, keys.get_signing_key_from_jwt(token), algorithms=["RS256"], audience="sandbox-google"
        )
        still_published = keys.get_signing_key_from_jwt(rotated_token)

    assert decoded["sub"] == "demo-1"
    assert decoded["exp"] > decoded["iat"]
    assert still_published.key_id == rotated_kid
    assert jwt.get_unverified_header(rotated_token)["kid"] == rotated_kid


def test_the_demo_endpoint_refuses_a_body_that_is_not_a_claims_object() -> None:
    with running_jwks_server() as server, httpx.Client(base_url=server.base_url, trust_env=False) as http:
        response = http.post("/__sandbox/id-token", json=["not", "claims"])

    assert response.status_code == 400
