"""Concurrent sends over real committed connections: the daily limits hold, a block that commits while
a send waits for the partnership lock refuses the send, an account deletion during a send waits for
it instead of deadlocking, and a goal deleted under a send makes it a 404 (§3.5)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from db.goals import delete_goal
from db.nudges import NewNudge, insert_nudge, lock_partnership_to_nudge
from db.tables import accountability_partners, notification_history, social_nudges
from db.users import delete_user
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.nudges_support import send
from tests.support.client import api_client
from tests.support.lock_waits import wait_until_a_session_waits_for_a_lock
from tests.support.rows import insert_goal_row
from tests.support.social_rows import insert_pair
from tests.support.users import ApiUser, create_user


async def committed_partners(
    committed_database: EngineDatabase, settings: Settings
) -> tuple[Any, ApiUser, ApiUser, Any]:
    app = create_app(settings, database=committed_database)
    async with committed_database.engine.begin() as connection:
        sender, recipient = [await create_user(connection, app) for _ in range(2)]
        partnership_id = await insert_pair(connection, recipient.id, sender.id)
    return app, sender, recipient, partnership_id


async def count(engine: AsyncEngine, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


@pytest.mark.parametrize(("nudge_type", "limit", "attempts"), [("nudge", 1, 6), ("competitive", 3, 8)])
async def test_concurrent_sends_past_the_limit_store_exactly_the_limit_and_the_rest_get_429(
    settings: Settings, committed_database: EngineDatabase, nudge_type: str, limit: int, attempts: int
) -> None:
    # Given committed partners (real transactions, so the race is real)
    app, sender, recipient, _ = await committed_partners(committed_database, settings)
    async with api_client(app) as client:
        # When the sender fires more sends of a limited type than the limit, all at once
        responses = await asyncio.gather(
            *(send(client, sender, recipient.id, nudge_type) for _ in range(attempts))
        )
    # Then exactly `limit` went through, every other one is a 429 (never a 500), one notice per nudge
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * limit + [429] * (attempts - limit), [r.text for r in responses]
    assert await count(committed_database.engine, social_nudges) == limit
    # (The first send also unlocks the sender's badges: notices of their own.)
    nudge_notices = notification_history.c.entity_type == "nudge"
    assert await count(committed_database.engine, notification_history, nudge_notices) == limit


async def test_a_block_committed_while_a_send_waits_for_the_partnership_refuses_the_send(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given committed partners, and the recipient blocking the sender in a transaction still open
    app, sender, recipient, partnership_id = await committed_partners(committed_database, settings)
    engine = committed_database.engine
    async with api_client(app) as client, engine.connect() as blocking:
        await blocking.begin()
        await blocking.execute(
            sa.update(accountability_partners)
            .where(accountability_partners.c.id == partnership_id)
            .values(status="blocked", blocked_by=recipient.id, accepted_at=None)
        )
        # When the sender sends meanwhile (it waits for the row), and the block then commits
        sending = asyncio.create_task(send(client, sender, recipient.id, "cheer"))
        await wait_until_a_session_waits_for_a_lock(engine, "the send")
        await blocking.commit()
        response = await sending
    # Then the send is refused as between non-partners, and nothing was written
    assert response.status_code == 403, response.text
    assert await count(engine, social_nudges) == 0
    assert await count(engine, notification_history) == 0


async def test_an_account_deletion_during_a_send_waits_for_it_instead_of_deadlocking(
    committed_database: EngineDatabase, settings: Settings
) -> None:
    # Given committed partners, and a send that holds the partnership (and the two users rows)
    _, sender, recipient, partnership_id = await committed_partners(committed_database, settings)
    engine = committed_database.engine

    async def delete_recipient() -> bool:
        async with engine.begin() as connection:
            return await delete_user(connection, recipient.id)

    async with engine.connect() as sending:
        await sending.begin()
        locked = await lock_partnership_to_nudge(sending, sender_id=sender.id, recipient_id=recipient.id)
        assert locked is not None
        # When the recipient deletes their account meanwhile, and the send then writes its nudge
        deletion = asyncio.create_task(delete_recipient())
        await wait_until_a_session_waits_for_a_lock(engine, "the send")
        new = NewNudge(
            locked.sender, recipient.id, partnership_id, "cheer", None, None, None, date(2025, 3, 5)
        )
        assert await insert_nudge(sending, new, daily_limit=None, now=datetime.now(UTC)) is not None
        await sending.commit()

    # Then both finished: the deletion waited, and took the partnership and the new nudge with it
    assert await deletion
    assert await count(engine, accountability_partners) == 0
    assert await count(engine, social_nudges) == 0


async def test_a_goal_deleted_while_a_send_naming_it_waits_makes_the_send_a_404(
    settings: Settings, committed_database: EngineDatabase
) -> None:
    # Given committed partners and a goal of the recipient, which its owner is deleting (not committed)
    app, sender, recipient, _ = await committed_partners(committed_database, settings)
    engine = committed_database.engine
    async with engine.begin() as connection:
        goal_id = await insert_goal_row(connection, recipient.id)
    async with api_client(app) as client, engine.connect() as deleting:
        await deleting.begin()
        assert await delete_goal(deleting, recipient.id, goal_id)
        # When the partner cheers that goal meanwhile, and the deletion then commits
        sending = asyncio.create_task(send(client, sender, recipient.id, "cheer", goal_id=str(goal_id)))
        await wait_until_a_session_waits_for_a_lock(engine, "the send")
        await deleting.commit()
        response = await sending
    # Then the send is a 404 (never a foreign-key 500), and nothing was written
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "goal_not_found"
    assert await count(engine, social_nudges) == 0
