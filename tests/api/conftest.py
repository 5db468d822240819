"""Fixtures of the API tests beyond the suite-wide ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.jwks.testing import RunningJwksServer, running_jwks_server


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[RunningJwksServer]:
    """The local stand-in for Google's and Apple's key sets, serving keys the tests sign with."""
    with running_jwks_server() as server:
        yield server
