"""Fixtures for the Expo sandbox tests: one sandbox per session, reset to a known config per test, whose
rate windows follow a clock the tests move (traffic_clock) instead of real time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.expo.config import SandboxConfig
from sandbox.expo.testing import SandboxHandle, running_sandbox
from tests.sandbox.expo.support import SteppedClock

# The spec defaults, except the rate limit: only the rate-limit tests want it, and they set it themselves.
BASELINE: dict[str, Any] = {**SandboxConfig().to_dict(), "rate_limit_per_second": 0}


@pytest.fixture(scope="session")
def traffic_clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture(scope="session")
def sandbox_server(traffic_clock: SteppedClock) -> Iterator[SandboxHandle]:
    with running_sandbox(monotonic=traffic_clock, **BASELINE) as handle:
        yield handle


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    sandbox_server.configure(**BASELINE)
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def expo(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    """A plain HTTP client for the Expo-compatible endpoints."""
    with httpx.Client(base_url=sandbox.base_url, trust_env=False, timeout=10.0) as client:
        yield client
