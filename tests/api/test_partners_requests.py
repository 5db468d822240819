"""POST /partners/request, accept, reject, cancel, remove, block, unblock and report: the rules of
docs/domain.md §3.4, the notices they write and the rows they leave."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db import plans
from db.tables import notification_history, partner_inactive_due, social_nudges, user_reports, users
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.api.partners_support import (
    NOW,
    PARTNERS,
    inbox_types,
    make_partners,
    request_id,
    rows_between,
    send,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def test_a_request_makes_a_pending_row_the_full_partner_and_a_notice(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    sender, receiver = await make_user(name="Ann"), await make_user(name="Bob")
    response = await client.post(
        f"{PARTNERS}/request",
        json={"partner_user_id": str(receiver.id), "message": "let's go"},
        headers=sender.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    [row] = await rows_between(connection, sender.id, receiver.id)
    assert body["id"] == str(row.id)
    assert (body["user_id"], body["partner_user_id"], body["initiated_by_user_id"]) == (
        str(sender.id),
        str(receiver.id),
        str(sender.id),
    )
    assert body["status"] == "pending"
    assert body["accepted_at"] is None
    assert body["expires_at"] == (NOW + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    assert body["partner"] == {
        "id": str(receiver.id),
        "name": "Bob",
        "username": body["partner"]["username"],
        "profile_picture_url": None,
        "is_active": True,
        "has_partner_feature": True,
    }
    assert body["has_active_items"] is False
    assert await inbox_types(connection, receiver.id) == ["partner_request"]
    entity = (
        await connection.execute(
            sa.select(notification_history.c.entity_type, notification_history.c.entity_id).where(
                notification_history.c.user_id == receiver.id
            )
        )
    ).one()
    assert tuple(entity) == ("partner_request", row.id)


async def test_request_refusals(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    me, other = await make_user(), await make_user()
    # self → 400, unknown → 404, disabled → 404
    assert (await send(client, me, me)).status_code == 400
    assert (await send(client, me, uuid.uuid4())).status_code == 404
    disabled = await make_user(status="disabled")
    assert (await send(client, me, disabled)).json()["code"] == "user_not_found"
    # a pending row either way → 400
    await request_id(client, me, other)
    again = await send(client, me, other)
    reverse = await send(client, other, me)
    assert (again.status_code, again.json()["code"]) == (400, "request_pending")
    assert (reverse.status_code, reverse.json()["code"]) == (400, "request_pending")
    assert len(await rows_between(connection, me.id, other.id)) == 1


async def test_no_feature_is_403_and_the_limit_is_400_with_counts(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    me, first, second = await make_user(), await make_user(), await make_user()
    # Free plan: one partner; a pending request counts toward it
    await request_id(client, me, first)
    refused = await send(client, me, second)
    assert refused.status_code == 400
    assert refused.json()["code"] == "partner_limit_reached"
    assert (
        refused.json()["limit"],
        refused.json()["pending_sent_count"],
        refused.json()["total_toward_limit"],
    ) == (
        1,
        1,
        1,
    )
    # A plan without the feature → 403
    await connection.execute(
        sa.text(
            "UPDATE plan_features SET feature_value = 0 "
            "WHERE plan_id = 'free' AND feature_key = 'accountability_partner_limit'"
        )
    )
    # The process's cached catalogue is dropped for this test (and put back afterwards).
    monkeypatch.setattr(plans, "_PROCESS_CACHE", plans.PlanCatalogCache())
    lone = await make_user()
    response = await send(client, lone, second)
    assert (response.status_code, response.json()["code"]) == (403, "partner_feature_required")


async def test_an_expired_request_is_invisible_and_replaced(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    me, other, third = await make_user(), await make_user(), await make_user()
    old = await request_id(client, me, other)
    clock.instant = NOW + timedelta(days=30, seconds=1)
    # gone from lists, limits and accept
    assert (await client.get(f"{PARTNERS}/pending", headers=other.headers)).json() == []
    assert (await client.get(f"{PARTNERS}/sent", headers=me.headers)).json() == []
    limits = (await client.get(f"{PARTNERS}/limits", headers=me.headers)).json()
    assert (limits["pending_sent_count"], limits["can_send_request"]) == (0, True)
    assert (await client.post(f"{PARTNERS}/{old}/accept", headers=other.headers)).status_code == 404
    # and a new request between the pair replaces it (its notice goes with it)
    new = await request_id(client, other, me)
    rows = await rows_between(connection, me.id, other.id)
    assert [str(row.id) for row in rows] == [new]
    assert await inbox_types(connection, other.id) == []
    assert (await send(client, me, third)).status_code == 201


async def test_accept_makes_partners_and_notifies_the_sender(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    sender, receiver = await make_user(), await make_user()
    partnership = await request_id(client, sender, receiver)
    # the sender cannot accept their own request
    assert (await client.post(f"{PARTNERS}/{partnership}/accept", headers=sender.headers)).status_code == 404
    response = await client.post(f"{PARTNERS}/{partnership}/accept", headers=receiver.headers)
    assert response.status_code == 200
    assert "message" in response.json()
    [row] = await rows_between(connection, sender.id, receiver.id)
    assert (row.status, row.accepted_at, row.expires_at) == ("accepted", NOW, None)
    assert await inbox_types(connection, sender.id) == ["partner_accepted"]
    listed = (await client.get(PARTNERS, headers=sender.headers)).json()
    assert [(item["id"], item["partner_user_id"]) for item in listed] == [(partnership, str(receiver.id))]
    # accepting twice → 404
    assert (
        await client.post(f"{PARTNERS}/{partnership}/accept", headers=receiver.headers)
    ).status_code == 404


async def test_accept_when_the_sender_is_at_the_limit_withdraws_the_request(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # Given a premium sender's request, then the sender downgraded with a partner already accepted
    sender = await make_user(plan="premium")
    receiver, friend = await make_user(), await make_user()
    partnership = await request_id(client, sender, receiver)
    await make_partners(client, sender, friend)
    await connection.execute(sa.update(users).where(users.c.id == sender.id).values(plan="free"))
    # When the receiver accepts
    response = await client.post(f"{PARTNERS}/{partnership}/accept", headers=receiver.headers)
    # Then 400, and the request is gone (committed with the answer)
    assert (response.status_code, response.json()["code"]) == (400, "sender_partner_limit_reached")
    assert await rows_between(connection, sender.id, receiver.id) == []


async def test_accept_when_the_receiver_is_at_the_limit_keeps_the_request(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    sender, receiver, friend = await make_user(), await make_user(), await make_user()
    partnership = await request_id(client, sender, receiver)
    await make_partners(client, receiver, friend)
    response = await client.post(f"{PARTNERS}/{partnership}/accept", headers=receiver.headers)
    assert (response.status_code, response.json()["code"]) == (400, "partner_limit_reached")
    assert response.json()["accepted_count"] == 1
    [row] = await rows_between(connection, sender.id, receiver.id)
    assert row.status == "pending"


async def test_inactive_partners_do_not_count(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    me, gone, next_one = await make_user(), await make_user(), await make_user()
    await make_partners(client, me, gone)
    await connection.execute(sa.update(users).where(users.c.id == gone.id).values(status="suspended"))
    limits = (await client.get(f"{PARTNERS}/limits", headers=me.headers)).json()
    assert limits == {
        "has_feature": True,
        "limit": 1,
        "accepted_count": 0,
        "pending_sent_count": 0,
        "total_toward_limit": 0,
        "can_send_request": True,
    }
    assert (await send(client, me, next_one)).status_code == 201


async def test_reject_and_cancel_delete_the_row_and_its_notice(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    a, b = await make_user(), await make_user()
    first = await request_id(client, a, b)
    # only the receiver rejects, only the sender cancels
    assert (await client.post(f"{PARTNERS}/{first}/reject", headers=a.headers)).status_code == 404
    assert (await client.post(f"{PARTNERS}/{first}/cancel", headers=b.headers)).status_code == 404
    assert (await client.post(f"{PARTNERS}/{first}/reject", headers=b.headers)).status_code == 200
    assert await rows_between(connection, a.id, b.id) == []
    assert await inbox_types(connection, b.id) == []
    second = await request_id(client, a, b)
    assert (await client.post(f"{PARTNERS}/{second}/cancel", headers=a.headers)).status_code == 200
    assert await rows_between(connection, a.id, b.id) == []
    assert await inbox_types(connection, b.id) == []


async def _nudge(
    connection: AsyncConnection, partnership: str, sender: uuid.UUID, recipient: uuid.UUID
) -> None:
    nudge_id = (
        await connection.execute(
            sa.insert(social_nudges)
            .values(
                sender_id=sender,
                recipient_id=recipient,
                partnership_id=uuid.UUID(partnership),
                nudge_type="cheer",
                nudge_date=NOW.date(),
            )
            .returning(social_nudges.c.id)
        )
    ).scalar_one()
    await connection.execute(
        sa.insert(notification_history).values(
            user_id=recipient,
            notification_type="partner_cheer",
            title="Cheer",
            body="Go",
            entity_type="nudge",
            entity_id=nudge_id,
        )
    )


async def test_remove_deletes_the_partnership_its_nudges_and_their_notices(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    a, b = await make_user(), await make_user()
    partnership = await make_partners(client, a, b)
    await _nudge(connection, partnership, a.id, b.id)
    response = await client.delete(f"{PARTNERS}/{partnership}", headers=b.headers)
    assert response.status_code == 200
    assert await rows_between(connection, a.id, b.id) == []
    assert await inbox_types(connection, a.id) == []
    assert await inbox_types(connection, b.id) == []
    # a pending row is not removable
    pending = await request_id(client, a, b)
    assert (await client.delete(f"{PARTNERS}/{pending}", headers=a.headers)).status_code == 404


async def test_block_and_unblock(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    a, b = await make_user(), await make_user()
    partnership = await make_partners(client, a, b)
    await _nudge(connection, partnership, a.id, b.id)
    assert (await client.post(f"{PARTNERS}/{partnership}/block", headers=b.headers)).status_code == 200
    [row] = await rows_between(connection, a.id, b.id)
    assert (row.status, row.blocked_by, row.accepted_at, row.expires_at) == ("blocked", b.id, None, None)
    nudges = await connection.execute(sa.select(sa.func.count()).select_from(social_nudges))
    assert nudges.scalar_one() == 0
    assert "partner_cheer" not in await inbox_types(connection, b.id)
    # listed for the blocker only; neither can request the other
    assert [item["id"] for item in (await client.get(f"{PARTNERS}/blocked", headers=b.headers)).json()] == [
        partnership
    ]
    assert (await client.get(f"{PARTNERS}/blocked", headers=a.headers)).json() == []
    assert (await client.get(PARTNERS, headers=a.headers)).json() == []
    assert (await send(client, a, b)).json()["code"] == "partner_blocked"
    assert (await send(client, b, a)).json()["code"] == "partner_blocked"
    # only the blocker unblocks; that deletes the row
    assert (await client.post(f"{PARTNERS}/{partnership}/unblock", headers=a.headers)).status_code == 404
    assert (await client.post(f"{PARTNERS}/{partnership}/unblock", headers=b.headers)).status_code == 200
    assert await rows_between(connection, a.id, b.id) == []


async def test_block_a_pending_request(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    a, b = await make_user(), await make_user()
    pending = await request_id(client, a, b)
    assert (await client.post(f"{PARTNERS}/{pending}/block", headers=b.headers)).status_code == 200
    [row] = await rows_between(connection, a.id, b.id)
    assert (row.status, row.expires_at) == ("blocked", None)
    assert await inbox_types(connection, b.id) == []


async def test_report_once_a_day_and_block_via_report(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, clock: FixedClock
) -> None:
    me, them = await make_user(), await make_user()
    url = f"{PARTNERS}/report/{them.id}"
    first = await client.post(url, json={"reason": "spam", "details": "ads"}, headers=me.headers)
    assert first.status_code == 200, first.text
    assert first.json()["report_id"]
    assert first.json()["blocked"] is False
    # a repeat within 24 h is "already reported", but still blocks (creating the row)
    repeat = await client.post(url, json={"reason": "harassment", "block_partner": True}, headers=me.headers)
    assert "already reported" in repeat.json()["message"]
    assert "report_id" not in repeat.json()
    assert repeat.json()["blocked"] is True
    [row] = await rows_between(connection, me.id, them.id)
    assert (row.status, row.blocked_by) == ("blocked", me.id)
    clock.instant = NOW + timedelta(hours=24, seconds=1)
    later = await client.post(url, json={"reason": "other"}, headers=me.headers)
    assert later.json()["report_id"]
    count = await connection.execute(sa.select(sa.func.count()).where(user_reports.c.reporter_id == me.id))
    assert count.scalar_one() == 2


@pytest.mark.parametrize(
    ("suffix", "body", "status"),
    [
        ("report/not-a-uuid", {"reason": "spam"}, 404),
        ("report/{them}", {"reason": "rude"}, 422),
        ("report/{them}", {}, 422),
        ("report/{me}", {"reason": "spam"}, 400),
        ("report/{unknown}", {"reason": "spam"}, 404),
        ("request", {"partner_user_id": "nope"}, 422),
        ("request", {}, 422),
        ("request", {"partner_user_id": "{them}", "extra": 1}, 422),
    ],
)
async def test_bad_input_is_4xx_with_the_error_body(
    client: httpx.AsyncClient, make_user: MakeUser, suffix: str, body: dict[str, object], status: int
) -> None:
    me, them = await make_user(), await make_user()
    values = {"me": me.id, "them": them.id, "unknown": uuid.uuid4()}
    path = suffix.format(**values)
    filled = {
        key: (value.format(**values) if isinstance(value, str) else value) for key, value in body.items()
    }
    response = await client.post(f"{PARTNERS}/{path}", json=filled, headers=me.headers)
    assert response.status_code == status, response.text
    assert {"detail", "code"} <= set(response.json())


@pytest.mark.parametrize("action", ["accept", "reject", "cancel", "block", "unblock"])
async def test_a_bad_partnership_id_is_404(
    client: httpx.AsyncClient, make_user: MakeUser, action: str
) -> None:
    me = await make_user()
    for partnership in ("not-a-uuid", str(uuid.uuid4())):
        response = await client.post(f"{PARTNERS}/{partnership}/{action}", headers=me.headers)
        assert response.status_code == 404, response.text


async def test_block_via_report_turns_an_accepted_partnership_into_a_block(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    me, partner = await make_user(), await make_user()
    partnership = await make_partners(client, partner, me)
    response = await client.post(
        f"{PARTNERS}/report/{partner.id}",
        json={"reason": "harassment", "block_partner": True},
        headers=me.headers,
    )
    assert response.json()["blocked"] is True
    [row] = await rows_between(connection, me.id, partner.id)
    assert (str(row.id), row.status, row.blocked_by, row.accepted_at) == (partnership, "blocked", me.id, None)
    assert (await client.get(PARTNERS, headers=partner.headers)).json() == []
    dashboard = await client.get(f"{PARTNERS}/{me.id}/dashboard", headers=partner.headers)
    assert dashboard.status_code == 404


async def test_accepting_starts_watching_both_users_for_a_silence(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection, settings: Settings
) -> None:
    # Given a request between two UTC users who never checked in
    sender, receiver = await make_user(), await make_user()

    # When it is accepted
    await make_partners(client, sender, receiver)

    # Then each is due for a "partner inactive" notice at 10:00 local, PARTNER_INACTIVE_DAYS days on (§3.11)
    due = dict(
        (
            await connection.execute(sa.select(partner_inactive_due.c.user_id, partner_inactive_due.c.due_at))
        ).all()
    )
    expected = (NOW + timedelta(days=settings.partner_inactive_days)).replace(hour=10)
    assert due == {sender.id: expected, receiver.id: expected}


async def test_accepting_unlocks_first_ally_for_both_and_tells_each_other(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a request between two users without badges
    sender, receiver = await make_user(), await make_user()

    # When it is accepted
    await make_partners(client, sender, receiver)

    # Then both hold "First Ally" (§3.7), unlocked by the partnership
    for user in (sender, receiver):
        badges = (await client.get("/api/v1/achievements/me", headers=user.headers)).json()
        assert [badge["badge_key"] for badge in badges] == ["first_partner"]
        assert badges[0]["metadata"]["source_type"] == "partnership"
