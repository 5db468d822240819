"""/app-config and /app-version: what the app reads before anyone logs in (public, see api/auth/jwt.py).

Both read the tables of migration 0008; an operator changes a URL or forces an update with one UPDATE.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app_config.schemas import AppConfigItemOut, AppConfigOut, AppVersionOut
from db.app_config import ConfigRow, app_version, public_config
from domain.app_versions import VERSION_PATTERN, is_older

Category = Annotated[str, PathParameter(pattern=r"^[a-z_]{1,50}$")]
Version = Annotated[str, QueryParameter(pattern=VERSION_PATTERN, max_length=27)]


def _config_out(rows: list[ConfigRow]) -> AppConfigOut:
    return AppConfigOut(
        config={row.key: row.value for row in rows},
        items=[AppConfigItemOut(key=row.key, value=row.value, category=row.category) for row in rows],
    )


class AppConfigController(Controller):
    path = "/app-config"
    tags = ["app"]

    @get("/public")
    async def public(self, single_read: NamedDependency[AsyncConnection]) -> AppConfigOut:
        return _config_out(await public_config(single_read))

    @get("/public/{category:str}")
    async def public_category(
        self, single_read: NamedDependency[AsyncConnection], category: Category
    ) -> AppConfigOut:
        """An unknown category is an empty answer, as the app expects for a group not configured yet."""
        return _config_out(await public_config(single_read, category=category))


class AppVersionController(Controller):
    path = "/app-version"
    tags = ["app"]

    @get("/check")
    async def check(
        self,
        single_read: NamedDependency[AsyncConnection],
        platform: FromQuery[Literal["ios", "android"]],
        current_version: Version,
    ) -> AppVersionOut:
        """`force_update` is true when the installed version is below the minimum, or when the row
        forces an update and a newer version exists: the app blocks on it, so it is never true for
        the latest version itself."""
        row = await app_version(single_read, platform)
        if row is None:
            return AppVersionOut(current_version, current_version, None, False, None)
        behind_latest = is_older(current_version, row.latest_version)
        return AppVersionOut(
            latest_version=row.latest_version,
            minimum_version=row.minimum_version,
            release_notes=row.release_notes,
            force_update=is_older(current_version, row.minimum_version)
            or (row.force_update and behind_latest),
            update_url=row.store_url,
        )
