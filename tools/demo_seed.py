"""`make run` demo data: a ready-to-use, onboarded account with a device and a daily goal, a partner
and a partner request (tools/demo_seed_social.py). Safe to run any number of times.

`python -m tools.demo_seed` creates it through the same functions (and password hashing) as sign-up,
onboarding, device registration and goal editing, and prints how to log in. Each run moves the demo
goal's reminder to the next whole minute, so a push reaches the Expo sandbox about a minute after
`make run` starts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from api.auth.passwords import hash_password
from api.goals.editing import create_goal, update_goal_fields
from api.goals.schemas import GoalCreateIn, GoalUpdateIn
from db.device_tokens import DeviceRegistration, register_device
from db.engine import create_engine
from db.tables import goals
from db.users import NewUser, complete_onboarding, find_credentials, insert_user, refresh_morning_motivation
from domain.motivation_style import MotivationStyle
from domain.referrals import new_referral_code
from services.messages import MessageSender
from services.transaction import Database, EngineDatabase
from settings import get_settings
from tools.demo_seed_social import seed_demo_partners

DEMO_EMAIL = "demo@fitnudge.app"
DEMO_PASSWORD = "demo-password"
DEMO_USERNAME = "demo"
DEMO_NAME = "Demo User"
DEMO_GOAL_TITLE = "Evening walk"
DEMO_PUSH_TOKEN = "ExponentPushToken[demo-device]"


class DemoSeedError(RuntimeError):
    """The demo account cannot be created (its username belongs to another account)."""


async def seed_demo_user(database: Database, *, now: datetime) -> UUID:
    """The demo account's id, creating and onboarding it first if it does not exist yet."""
    async with database.transaction() as tx:
        existing = await find_credentials(tx.connection, DEMO_EMAIL)
    if existing is not None:
        return existing.user_id
    password_hash = await hash_password(DEMO_PASSWORD)
    async with database.transaction() as tx:
        created = await insert_user(
            tx.connection,
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
        if created is None:
            raise DemoSeedError(f"username {DEMO_USERNAME!r} is taken by another account")
        user_id = created.user_id
        await complete_onboarding(
            tx.connection,
            user_id,
            name=DEMO_NAME,
            motivation_style=MotivationStyle.SUPPORTIVE,
            morning_motivation_enabled=None,
            morning_motivation_time=None,
            now=now,
        )
        await refresh_morning_motivation(tx.connection, [user_id], now=now)
    return user_id


def next_whole_minute(now: datetime) -> str:
    return (now + timedelta(minutes=1)).strftime("%H:%M")


async def seed_demo_goal_and_device(database: Database, user_id: UUID, *, now: datetime) -> str:
    """Register the demo device, and create (or re-time) the demo goal to remind at the next minute;
    returns that reminder time (UTC, the demo user's zone)."""
    reminder_time = next_whole_minute(now)
    async with database.transaction() as tx:
        await register_device(
            tx.connection,
            user_id,
            DeviceRegistration(
                fcm_token=DEMO_PUSH_TOKEN,
                device_type="ios",
                device_id="demo-device",
                timezone="UTC",
                app_version="1.0.0",
                os_version="18.0",
            ),
            now=now,
        )
        goal_id = (
            await tx.connection.execute(
                sa.select(goals.c.id).where(goals.c.user_id == user_id, goals.c.title == DEMO_GOAL_TITLE)
            )
        ).scalar_one_or_none()
        if goal_id is None:
            goal = GoalCreateIn(title=DEMO_GOAL_TITLE, frequency_type="daily", reminder_times=[reminder_time])
            await create_goal(tx, user_id, goal, now=now)
        else:
            update = GoalUpdateIn(reminder_times=[reminder_time])
            await update_goal_fields(tx.connection, user_id, goal_id, update, now=now)
    return reminder_time


async def main() -> None:
    settings = get_settings()
    if not settings.is_dev:
        # Its password is printed here and in the README: anywhere real it would be an open door.
        raise SystemExit(f"the demo account is for APP_ENV dev or test only, not {settings.app_env!r}")
    engine = create_engine(settings.database_url, process_name="demo-seed", pool_size=1, max_overflow=0)
    now = datetime.now(UTC)
    try:
        database = EngineDatabase(
            engine, MessageSender.to_redis(settings.redis_url, settings.dramatiq_namespace)
        )
        user_id = await seed_demo_user(database, now=now)
        reminder_time = await seed_demo_goal_and_device(database, user_id, now=now)
        await seed_demo_partners(database, user_id, now=now)
    finally:
        await engine.dispose()
    print(f"Demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}  (POST /api/v1/auth/login)")
    print(
        f"Demo goal {DEMO_GOAL_TITLE!r} reminds at {reminder_time} UTC; its push shows up in the sandbox's "
        f"/__sandbox/messages?to={DEMO_PUSH_TOKEN}"
    )


if __name__ == "__main__":
    asyncio.run(main())
