"""Joining and leaving (§3.6 Join, Leave, Invite answers): by id, by a link's code, or by accepting a
direct invite, all through the same rules.

Locks, always in this order: the joiner's join-limit lock (so two joins of one user cannot both pass
challenge_limit), then the invite row being used, then the challenge row (so two joiners cannot both
take the last place). Counting happens under the challenge lock.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.challenge_scores.checking_in import challenge_not_found
from api.partners.requests import CommittedRefusal
from db.challenge_invites import InviteRow, link_invite, mark_accepted, mark_expired, received_invite
from db.challenge_members import MemberRow, delete_member, insert_member, join_counts, lock_join_limit
from db.challenges import ChallengeRow, locked_challenge, visible_challenge
from db.plan_limits import features_of_plan
from domain.challenge_rules import JoinFacts, ensure_can_join, ensure_join_limit
from domain.errors import NotFound, RuleBroken
from domain.local_time import local_today
from domain.plans import Feature


def invite_not_found() -> NotFound:
    return NotFound("Invite not found.", code="invite_not_found")


async def join_by_id(
    connection: AsyncConnection, me: UUID, challenge_id: UUID, *, now: datetime
) -> MemberRow:
    """POST /challenges/{id}/join: a private challenge admits the holder of a pending direct invite."""
    if await visible_challenge(connection, me, challenge_id) is None:
        raise challenge_not_found()
    await lock_join_limit(connection, me)
    member, _ = await _join(connection, me, challenge_id, now=now, link=None)
    return member


async def join_by_code(connection: AsyncConnection, me: UUID, code: str, *, now: datetime) -> ChallengeRow:
    """POST /challenges/join/{code}: the link admits one joiner, to a private challenge too."""
    await lock_join_limit(connection, me)
    invite = await link_invite(connection, code)
    if invite is None:
        raise invite_not_found()
    await _ensure_usable(connection, invite, now=now)
    _, challenge = await _join(connection, me, invite.challenge_id, now=now, link=invite)
    return challenge


async def accept_invite(
    connection: AsyncConnection, me: UUID, invite_id: UUID, *, now: datetime
) -> ChallengeRow:
    """POST /challenges/invites/{id}/accept: the full join rules, expiry and plan limit included."""
    await lock_join_limit(connection, me)
    invite = await received_invite(connection, invite_id, me)
    if invite is None:
        raise invite_not_found()
    await _ensure_usable(connection, invite, now=now)
    _, challenge = await _join(connection, me, invite.challenge_id, now=now, link=None)
    return challenge


async def _ensure_usable(connection: AsyncConnection, invite: InviteRow, *, now: datetime) -> None:
    if invite.status != "pending":
        raise RuleBroken(f"This invite is {invite.status}.", code="invite_not_pending")
    if invite.expires_at <= now:
        # Answered as a 400 whose write commits: the invite is recorded as expired (§3.6 Invite answers).
        await mark_expired(connection, invite.id, now=now)
        raise CommittedRefusal("This invite has expired.", code="invite_expired")


async def _join(
    connection: AsyncConnection, me: UUID, challenge_id: UUID, *, now: datetime, link: InviteRow | None
) -> tuple[MemberRow, ChallengeRow]:
    """The join rules in order under the challenge lock, then the membership; a pending direct invite
    of the joiner's (or the link used) becomes accepted."""
    challenge = await locked_challenge(connection, challenge_id)
    counts = await join_counts(connection, challenge_id, me, now=now)
    if challenge is None or counts is None:
        raise challenge_not_found()
    ensure_can_join(
        JoinFacts(
            status=challenge.status,
            today=local_today(counts.timezone, now),
            start_date=challenge.start_date,
            end_date=challenge.end_date,
            join_deadline=challenge.join_deadline,
            participants=counts.participants,
            max_participants=challenge.max_participants,
            already_in=counts.already_in,
            is_public=challenge.is_public,
            admitted=link is not None or counts.pending_invite_id is not None,
        )
    )
    features = await features_of_plan(connection, counts.plan)
    ensure_join_limit(counts.joined_elsewhere, features.limit(Feature.CHALLENGE_LIMIT))
    member = await insert_member(connection, challenge_id, me, now=now)
    used = link.id if link is not None else counts.pending_invite_id
    if used is not None:
        await mark_accepted(connection, used, me, now=now)
    return member, challenge


async def leave(connection: AsyncConnection, me: UUID, challenge_id: UUID) -> None:
    """A participant leaves an upcoming or active challenge; the creator must cancel instead."""
    challenge = await visible_challenge(connection, me, challenge_id)
    if challenge is None:
        raise challenge_not_found()
    if challenge.created_by == me:
        raise RuleBroken(
            "The creator cannot leave: cancel the challenge instead.", code="creator_cannot_leave"
        )
    if not challenge.is_open:
        raise RuleBroken("This challenge is over.", code="challenge_not_open")
    if not await delete_member(connection, challenge_id, me):
        raise RuleBroken("You are not in this challenge.", code="not_a_participant")
