"""tools/demo_seed.py: the demo account exists after any number of runs and can log in."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from db.unit_of_work import SavepointDatabase
from tools.demo_seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_user


async def test_the_demo_account_is_seeded_once_and_can_log_in(
    client: httpx.AsyncClient, database: SavepointDatabase
) -> None:
    # Given the seed run twice
    first = await seed_demo_user(database, now=datetime.now(UTC))
    second = await seed_demo_user(database, now=datetime.now(UTC))
    # When the printed credentials are used
    response = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    # Then there is one account, onboarded, in UTC
    assert first == second
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["id"] == str(first)
    assert user["onboarding_completed_at"] is not None
    assert user["timezone"] == "UTC"
