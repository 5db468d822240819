"""Partner writes racing over real, separately committed connections: opposite requests leave one
row (the loser gets 409 on the pair index), and an accept racing a cancel ends in one whole outcome."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar import Litestar

from api.app import create_app
from api.clock import FixedClock
from db.partnerships import insert_request
from db.tables import notification_history
from services.transaction import EngineDatabase
from settings import Settings
from tests.api.partners_support import NOW, PARTNERS, request_id, rows_between, send
from tests.support.client import api_client
from tests.support.users import ApiUser, create_user


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def _pair(database: EngineDatabase, app: Litestar) -> tuple[ApiUser, ApiUser]:
    async with database.transaction() as tx:
        return await create_user(tx.connection, app), await create_user(tx.connection, app)


async def test_a_request_blocked_by_an_uncommitted_reverse_request_gets_409(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock
) -> None:
    app = create_app(settings, database=committed_database, clock=clock)
    a, b = await _pair(committed_database, app)
    async with api_client(app) as client, committed_database.engine.connect() as other:
        # Given B's request to A, written but not yet committed on another connection
        transaction = await other.begin()
        await insert_request(other, b.id, a.id, expires_at=NOW + timedelta(days=30))
        # When A's request to B arrives, and B's commits while A's waits on the pair index
        racing = asyncio.create_task(send(client, a, b))
        await asyncio.sleep(0.5)
        assert not racing.done()
        await transaction.commit()
        response = await racing
    # Then A's loses with 409, and the pair has B's row only
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    async with committed_database.transaction() as tx:
        [row] = await rows_between(tx.connection, a.id, b.id)
    assert row.user_id == b.id


async def test_two_opposite_requests_at_once_leave_one_row(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock
) -> None:
    app = create_app(settings, database=committed_database, clock=clock)
    a, b = await _pair(committed_database, app)
    async with api_client(app) as client:
        responses = await asyncio.gather(send(client, a, b), send(client, b, a))
    codes = sorted(response.status_code for response in responses)
    # one wins; the other lost the race on the index (409) or saw the winner's row (400)
    assert codes in ([201, 409], [201, 400]), [response.text for response in responses]
    async with committed_database.transaction() as tx:
        assert len(await rows_between(tx.connection, a.id, b.id)) == 1


@pytest.mark.parametrize("attempt", range(3))
async def test_accept_racing_cancel_ends_in_one_whole_outcome(
    settings: Settings, committed_database: EngineDatabase, clock: FixedClock, attempt: int
) -> None:
    app = create_app(settings, database=committed_database, clock=clock)
    sender, receiver = await _pair(committed_database, app)
    async with api_client(app) as client:
        partnership = await request_id(client, sender, receiver)
        accept, cancel = await asyncio.gather(
            client.post(f"{PARTNERS}/{partnership}/accept", headers=receiver.headers),
            client.post(f"{PARTNERS}/{partnership}/cancel", headers=sender.headers),
        )
    async with committed_database.transaction() as tx:
        rows = await rows_between(tx.connection, sender.id, receiver.id)
        notices = (
            (
                await tx.connection.execute(
                    sa.select(notification_history.c.notification_type).where(
                        notification_history.c.user_id.in_([sender.id, receiver.id]),
                        # An accepted partnership may also earn badges (§3.7), whose achievement and
                        # partner_milestone notices are the achievements tests' concern: this race is
                        # about the request's own notices.
                        notification_history.c.notification_type.in_(("partner_request", "partner_accepted")),
                    )
                )
            )
            .scalars()
            .all()
        )
    if accept.status_code == 200:
        # accepted first: the cancel found no pending request; the accept notice stands
        assert cancel.status_code == 404
        assert [row.status for row in rows] == ["accepted"]
        assert sorted(notices) == ["partner_accepted", "partner_request"]
    else:
        # cancelled first: nothing of the accept was written, the request and its notice are gone
        assert (accept.status_code, cancel.status_code) == (404, 200)
        assert rows == []
        assert notices == []
