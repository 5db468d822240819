"""/app-config/public and /app-version/check: public, in the shapes of appConfig.ts and useAppUpdate.ts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import app_config, app_versions

CONFIG = "/api/v1/app-config/public"
CHECK = "/api/v1/app-version/check"

# The keys the app reads (its AppConfigKey type).
APP_KEYS = {
    "ios_app_store_url",
    "android_play_store_url",
    "privacy_policy_url",
    "terms_of_service_url",
    "help_center_url",
    "tally_feedback_url",
    "tawk_chat_url",
    "contact_email",
}


async def test_public_config_has_every_key_the_app_reads_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(CONFIG)
    assert response.status_code == 200
    body = response.json()
    assert set(body["config"]) == APP_KEYS
    assert {item["key"]: item["value"] for item in body["items"]} == body["config"]
    assert {item["category"] for item in body["items"]} == {"app_store_urls", "external_urls"}


async def test_config_by_category_and_private_values_stay_hidden(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    # Given a private value in the same category as the store URLs
    await connection.execute(
        sa.insert(app_config).values(
            key="review_secret", value="x", category="app_store_urls", is_public=False
        )
    )
    # When one category is read, and a category nothing is configured in yet
    stores = (await client.get(f"{CONFIG}/app_store_urls")).json()
    flags = await client.get(f"{CONFIG}/feature_flags")
    # Then only that category's public values come back, and the empty category is an empty answer
    assert set(stores["config"]) == {"ios_app_store_url", "android_play_store_url"}
    assert [item["category"] for item in stores["items"]] == ["app_store_urls", "app_store_urls"]
    assert (flags.status_code, flags.json()) == (200, {"config": {}, "items": []})
    assert "review_secret" not in (await client.get(CONFIG)).json()["config"]


async def test_a_malformed_category_is_422_with_the_error_body(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{CONFIG}/Store%20URLs")
    assert response.status_code == 422
    assert {"detail", "code"} <= response.json().keys()


async def set_versions(connection: AsyncConnection, platform: str, **values: Any) -> None:
    await connection.execute(
        sa.update(app_versions).where(app_versions.c.platform == platform).values(**values)
    )


@pytest.mark.parametrize(
    ("current", "force_update"),
    [("1.9.9", True), ("1.10.0", False), ("1.10", False), ("1.12.0", False), ("2.0.0", False)],
)
async def test_version_check_compares_versions_numerically(
    client: httpx.AsyncClient, connection: AsyncConnection, current: str, force_update: bool
) -> None:
    # Given iOS at 2.0.0 with 1.10.0 as the minimum ("1.9.9" sorts above "1.10.0" as text)
    await set_versions(
        connection, "ios", latest_version="2.0.0", minimum_version="1.10.0", release_notes="New"
    )
    # When a version asks
    response = await client.get(CHECK, params={"platform": "ios", "current_version": current})
    # Then only one below the minimum must update
    assert response.status_code == 200
    body = response.json()
    assert body["force_update"] is force_update
    assert (body["latest_version"], body["minimum_version"], body["release_notes"]) == (
        "2.0.0",
        "1.10.0",
        "New",
    )
    assert body["update_url"].startswith("https://apps.apple.com/")


async def test_a_forced_update_never_forces_the_latest_version_itself(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    await set_versions(
        connection, "android", latest_version="1.4.0", minimum_version="1.0.0", force_update=True
    )
    older = (await client.get(CHECK, params={"platform": "android", "current_version": "1.3.9"})).json()
    latest = (await client.get(CHECK, params={"platform": "android", "current_version": "1.4.0"})).json()
    assert (older["force_update"], latest["force_update"]) == (True, False)
    assert older["update_url"].startswith("https://play.google.com/")


@pytest.mark.parametrize(
    "params",
    [
        {"platform": "web", "current_version": "1.0.0"},
        {"platform": "ios", "current_version": "1.0.0-beta"},
        {"platform": "ios", "current_version": "1..0"},
        {"platform": "ios", "current_version": "9" * 40},
        {"platform": "ios"},
        {"current_version": "1.0.0"},
    ],
)
async def test_bad_version_checks_are_422_with_the_error_body(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(CHECK, params=params)
    assert response.status_code == 422
    assert {"detail", "code"} <= response.json().keys()


async def test_a_platform_without_a_row_is_told_its_own_version_is_current(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    await connection.execute(sa.delete(app_versions).where(app_versions.c.platform == "android"))
    response = await client.get(CHECK, params={"platform": "android", "current_version": "3.1"})
    assert response.json() == {
        "latest_version": "3.1",
        "minimum_version": "3.1",
        "release_notes": None,
        "force_update": False,
        "update_url": None,
    }
