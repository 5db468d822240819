"""`make run` demo data: a ready-to-use, onboarded account. Safe to run any number of times.

`python -m tools.demo_seed` creates it through the same functions (and password hashing) as sign-up
and onboarding, and prints how to log in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

from api.auth.accounts import new_referral_code
from api.auth.passwords import hash_password
from db.engine import create_engine
from db.unit_of_work import Database, EngineDatabase
from db.users import NewUser, complete_onboarding, find_credentials, insert_user, refresh_morning_motivation
from domain.motivation_style import MotivationStyle
from settings import get_settings

DEMO_EMAIL = "demo@fitnudge.app"
DEMO_PASSWORD = "demo-password"
DEMO_USERNAME = "demo"
DEMO_NAME = "Demo User"


class DemoSeedError(RuntimeError):
    """The demo account cannot be created (its username belongs to another account)."""


async def seed_demo_user(database: Database, *, now: datetime) -> UUID:
    """The demo account's id, creating and onboarding it first if it does not exist yet."""
    async with database.unit_of_work() as uow:
        existing = await find_credentials(uow.connection, DEMO_EMAIL)
    if existing is not None:
        return existing.user_id
    password_hash = await hash_password(DEMO_PASSWORD)
    async with database.unit_of_work() as uow:
        user_id = await insert_user(
            uow.connection,
            NewUser(
                email=DEMO_EMAIL,
                password_hash=password_hash,
                username=DEMO_USERNAME,
                name=DEMO_NAME,
                timezone="UTC",
                country=None,
                referral_code=new_referral_code(),
                referred_by_user_id=None,
            ),
        )
        if user_id is None:
            raise DemoSeedError(f"username {DEMO_USERNAME!r} is taken by another account")
        await complete_onboarding(
            uow.connection,
            user_id,
            name=DEMO_NAME,
            motivation_style=MotivationStyle.SUPPORTIVE,
            morning_motivation_enabled=None,
            morning_motivation_time=None,
            now=now,
        )
        await refresh_morning_motivation(uow.connection, [user_id], now=now)
    return user_id


async def main() -> None:
    settings = get_settings()
    engine = create_engine(settings.database_url, process_name="demo-seed", pool_size=1, max_overflow=0)
    try:
        await seed_demo_user(EngineDatabase(engine), now=datetime.now(UTC))
    finally:
        await engine.dispose()
    print(f"Demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}  (POST /api/v1/auth/login)")


if __name__ == "__main__":
    asyncio.run(main())
