"""Joining a challenge (docs/domain.md §3.6 Join, Invite, Invite answers): the rules in their order,
the plan's challenge_limit, private challenges through a direct invite or a link, and the invite routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.clock import FixedClock
from db.tables import challenge_invites, challenges, notification_history
from tests.api.auth_support import MakeUser
from tests.api.challenges_support import CHALLENGES, NOW, TODAY, create, days, join, members, scored
from tests.api.partners_support import make_partners
from tests.support.users import ApiUser


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def _refused(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def _set(connection: AsyncConnection, challenge: dict[str, Any], **values: Any) -> None:
    await connection.execute(
        sa.update(challenges).where(challenges.c.id == UUID(challenge["id"])).values(**values)
    )


async def test_a_join_adds_the_membership_and_a_zero_score(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, joiner = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator)
    response = await join(client, joiner, challenge["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["challenge_id"], body["user_id"], body["points"], body["completed_at"]) == (
        challenge["id"],
        str(joiner.id),
        0,
        None,
    )
    assert body["rank"] == 1
    assert (
        await members(connection, challenge["id"])
        == await scored(connection, challenge["id"])
        == {
            creator.id,
            joiner.id,
        }
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "completed"}, "challenge_not_open"),
        ({"status": "cancelled"}, "challenge_not_open"),
        # Started yesterday, no deadline: joining closed after the start date.
        ({"start_date": days(-1), "status": "active"}, "challenge_already_started"),
        ({"start_date": days(-3), "join_deadline": days(-1), "status": "active"}, "join_deadline_passed"),
        # Ended: past its end date, and completed by the lifecycle job.
        ({"start_date": days(-7), "end_date": days(-1), "status": "completed"}, "challenge_not_open"),
        ({"start_date": days(-7), "end_date": days(-1), "status": "active"}, "challenge_already_started"),
        ({"max_participants": 2}, "challenge_full"),
    ],
)
async def test_the_join_rules_refuse_with_400(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    connection: AsyncConnection,
    change: dict[str, Any],
    code: str,
) -> None:
    creator, first, late = await make_user(plan="premium"), await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator)
    assert (await join(client, first, challenge["id"])).status_code == 200
    await _set(connection, challenge, **change)
    assert await _refused(await join(client, late, challenge["id"])) == (400, code)
    assert late.id not in await members(connection, challenge["id"])


async def test_joining_on_the_start_day_and_until_the_deadline_is_allowed(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, on_start, by_deadline = await make_user(plan="premium"), await make_user(), await make_user()
    challenge = await create(client, creator, start_date=TODAY.isoformat())
    assert (await join(client, on_start, challenge["id"])).status_code == 200
    later = await create(client, creator, start_date=TODAY.isoformat(), join_deadline=days(2).isoformat())
    await _set(connection, later, start_date=days(-1), status="active")
    assert (await join(client, by_deadline, later["id"])).status_code == 200


async def test_the_joiners_local_today_decides(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    # 15:00 UTC on the 12th is already the 13th in Auckland: a challenge that started on the 12th
    # without a deadline is closed there, open in London.
    creator = await make_user(plan="premium")
    challenge = await create(client, creator, start_date=TODAY.isoformat())
    auckland, london = await make_user(timezone="Pacific/Auckland"), await make_user(timezone="Europe/London")
    assert await _refused(await join(client, auckland, challenge["id"])) == (400, "challenge_already_started")
    assert (await join(client, london, challenge["id"])).status_code == 200


async def test_the_creator_is_already_in_their_own_challenge(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    creator = await make_user(plan="premium")
    challenge = await create(client, creator)
    assert await _refused(await join(client, creator, challenge["id"])) == (400, "already_joined")


async def test_the_free_plan_joins_one_open_challenge_at_a_time(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, free = await make_user(plan="premium"), await make_user()
    first, second = await create(client, creator), await create(client, creator)
    assert (await join(client, free, first["id"])).status_code == 200
    response = await join(client, free, second["id"])
    assert await _refused(response) == (403, "challenge_limit_reached")
    assert response.json()["limit"] == 1
    # A finished challenge no longer counts.
    await _set(connection, first, status="completed")
    assert (await join(client, free, second["id"])).status_code == 200


async def test_a_private_challenge_needs_an_invitation(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, invitee = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator, is_public=False)
    # Invisible to an outsider: 404, not even "private".
    assert await _refused(await join(client, invitee, challenge["id"])) == (404, "challenge_not_found")

    invite = await _invite(client, creator, challenge["id"], invitee)
    assert (await join(client, invitee, challenge["id"])).status_code == 200
    status = (
        await connection.execute(
            sa.select(challenge_invites.c.status).where(challenge_invites.c.id == UUID(invite))
        )
    ).scalar()
    assert status == "accepted"


async def test_a_partner_who_sees_a_private_challenge_still_needs_an_invitation(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    creator, partner = await make_user(plan="premium"), await make_user()
    await make_partners(client, creator, partner)
    challenge = await create(client, creator, is_public=False)
    assert await _refused(await join(client, partner, challenge["id"])) == (400, "invitation_required")


async def test_a_link_admits_one_joiner_to_a_private_challenge(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator = await make_user(plan="premium", referral_code="CARA42")
    first, second = await make_user(), await make_user()
    challenge = await create(client, creator, is_public=False, title="Secret club")
    response = await client.post(
        f"{CHALLENGES}/{challenge['id']}/invite-link", json={}, headers=creator.headers
    )
    assert response.status_code == 200, response.text
    link = response.json()
    code = link["invite_code"]
    assert len(code) == 12
    assert link == {
        "invite_code": code,
        "invite_link": f"https://fitnudge.app/challenge/join/{code}?ref=CARA42",
        "expires_in_days": 30,
    }

    used = await client.post(f"{CHALLENGES}/join/{code}", json={}, headers=first.headers)
    assert used.json() == {
        "message": "You joined the challenge.",
        "challenge": {"id": challenge["id"], "title": "Secret club"},
    }
    again = await client.post(f"{CHALLENGES}/join/{code}", json={}, headers=second.headers)
    assert await _refused(again) == (400, "invite_not_pending")
    row = (
        await connection.execute(sa.select(challenge_invites).where(challenge_invites.c.invite_code == code))
    ).one()
    assert (row.status, row.invited_user_id, row.accepted_at) == ("accepted", first.id, NOW)
    assert await members(connection, challenge["id"]) == {creator.id, first.id}

    unknown = await client.post(f"{CHALLENGES}/join/nope", json={}, headers=second.headers)
    assert await _refused(unknown) == (404, "invite_not_found")


async def test_an_expired_link_is_refused_and_recorded_as_expired(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, joiner = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator)
    code = (
        await client.post(f"{CHALLENGES}/{challenge['id']}/invite-link", json={}, headers=creator.headers)
    ).json()["invite_code"]
    await connection.execute(
        sa.update(challenge_invites)
        .where(challenge_invites.c.invite_code == code)
        .values(expires_at=NOW - timedelta(seconds=1))
    )
    assert await _refused(
        await client.post(f"{CHALLENGES}/join/{code}", json={}, headers=joiner.headers)
    ) == (400, "invite_expired")
    status = (
        await connection.execute(
            sa.select(challenge_invites.c.status).where(challenge_invites.c.invite_code == code)
        )
    ).scalar()
    assert status == "expired"


async def _invite(client: httpx.AsyncClient, sender: ApiUser, challenge_id: str, invitee: ApiUser) -> str:
    response = await client.post(
        f"{CHALLENGES}/{challenge_id}/invite", json={"user_id": str(invitee.id)}, headers=sender.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["message"]
    return str(response.json()["invite_id"])


async def test_a_direct_invite_notifies_and_is_listed_on_both_sides(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, invitee = await make_user(plan="premium", name="Cara"), await make_user(name="Ivo")
    challenge = await create(client, creator, title="Plank")
    invite = await _invite(client, creator, challenge["id"], invitee)

    notice = (
        await connection.execute(
            sa.select(notification_history).where(notification_history.c.user_id == invitee.id)
        )
    ).one()
    assert (notice.notification_type, notice.body) == ("challenge_invite", "Cara invited you to Plank.")
    assert notice.data["inviteId"] == invite

    [received] = (await client.get(f"{CHALLENGES}/invites/received", headers=invitee.headers)).json()
    assert received["id"] == invite
    assert received["expires_at"] == (NOW + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    assert received["inviter"]["name"] == "Cara"
    assert received["challenge"]["title"] == "Plank"
    assert "invitee" not in received
    [sent] = (await client.get(f"{CHALLENGES}/invites/sent", headers=creator.headers)).json()
    assert (sent["id"], sent["invitee"]["name"]) == (invite, "Ivo")

    twice = await client.post(
        f"{CHALLENGES}/{challenge['id']}/invite", json={"user_id": str(invitee.id)}, headers=creator.headers
    )
    assert await _refused(twice) == (400, "invite_pending")


async def test_who_may_invite_whom(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    creator, joiner, outsider, target = (
        await make_user(plan="premium"),
        await make_user(),
        await make_user(),
        await make_user(),
    )
    challenge = await create(client, creator)
    assert (await join(client, joiner, challenge["id"])).status_code == 200
    path = f"{CHALLENGES}/{challenge['id']}/invite"

    # A participant may invite too.
    await _invite(client, joiner, challenge["id"], target)
    cases = [
        (outsider, target.id, (403, "not_a_participant")),
        (creator, creator.id, (400, "cannot_invite_self")),
        (creator, joiner.id, (400, "already_participant")),
        (creator, UUID(int=7), (404, "user_not_found")),
    ]
    for sender, invitee, expected in cases:
        response = await client.post(path, json={"user_id": str(invitee)}, headers=sender.headers)
        assert await _refused(response) == expected


async def test_accepting_runs_the_join_rules_and_declining_removes_the_notice(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, busy, decliner = await make_user(plan="premium"), await make_user(), await make_user()
    other = await create(client, creator)
    assert (await join(client, busy, other["id"])).status_code == 200
    challenge = await create(client, creator, is_public=False, title="Quiet")
    busy_invite = await _invite(client, creator, challenge["id"], busy)
    decline_invite = await _invite(client, creator, challenge["id"], decliner)

    limited = await client.post(f"{CHALLENGES}/invites/{busy_invite}/accept", json={}, headers=busy.headers)
    assert await _refused(limited) == (403, "challenge_limit_reached")
    await _set(connection, other, status="completed")
    accepted = await client.post(f"{CHALLENGES}/invites/{busy_invite}/accept", json={}, headers=busy.headers)
    assert accepted.json() == {
        "message": "You joined the challenge.",
        "challenge": {"id": challenge["id"], "title": "Quiet"},
    }

    declined = await client.post(
        f"{CHALLENGES}/invites/{decline_invite}/decline", json={}, headers=decliner.headers
    )
    assert declined.status_code == 200
    notices = await connection.execute(
        sa.select(notification_history.c.id).where(notification_history.c.user_id == decliner.id)
    )
    assert notices.all() == []
    assert await _refused(
        await client.post(f"{CHALLENGES}/invites/{decline_invite}/accept", json={}, headers=decliner.headers)
    ) == (400, "invite_not_pending")
    # Declined, then invited again: pending anew.
    assert await _invite(client, creator, challenge["id"], decliner) == decline_invite


async def test_an_expired_direct_invite_cannot_be_accepted(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, invitee = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator, is_public=False)
    invite = await _invite(client, creator, challenge["id"], invitee)
    await connection.execute(
        sa.update(challenge_invites).where(challenge_invites.c.id == UUID(invite)).values(expires_at=NOW)
    )
    response = await client.post(f"{CHALLENGES}/invites/{invite}/accept", json={}, headers=invitee.headers)
    assert await _refused(response) == (400, "invite_expired")
    assert (await client.get(f"{CHALLENGES}/invites/received", headers=invitee.headers)).json() == []
    assert invitee.id not in await members(connection, challenge["id"])


async def test_the_sender_revokes_a_pending_invite(
    client: httpx.AsyncClient, make_user: MakeUser, connection: AsyncConnection
) -> None:
    creator, invitee = await make_user(plan="premium"), await make_user()
    challenge = await create(client, creator)
    invite = await _invite(client, creator, challenge["id"], invitee)
    not_sender = await client.delete(f"{CHALLENGES}/invites/{invite}", headers=invitee.headers)
    assert await _refused(not_sender) == (404, "invite_not_found")
    assert (await client.delete(f"{CHALLENGES}/invites/{invite}", headers=creator.headers)).status_code == 200
    left = await connection.execute(
        sa.select(challenge_invites.c.id).where(challenge_invites.c.challenge_id == UUID(challenge["id"]))
    )
    assert left.all() == []
    notices = await connection.execute(
        sa.select(notification_history.c.id).where(notification_history.c.user_id == invitee.id)
    )
    assert notices.all() == []
