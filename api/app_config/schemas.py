"""Bodies of /app-config and /app-version: the shapes of the app's appConfig.ts and useAppUpdate.ts."""

from __future__ import annotations

import msgspec


class AppConfigItemOut(msgspec.Struct):
    key: str
    value: str
    category: str


class AppConfigOut(msgspec.Struct):
    """The same values twice: `config` for lookups by key, `items` with their categories."""

    config: dict[str, str]
    items: list[AppConfigItemOut]


class AppVersionOut(msgspec.Struct):
    latest_version: str
    minimum_version: str
    release_notes: str | None
    force_update: bool
    update_url: str | None
