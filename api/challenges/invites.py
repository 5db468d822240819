"""Invitations (§3.6 Invite, Invite answers): a direct invite to a named user (7 days, with a
challenge_invite notice), a link (30 days, one joiner), the invitee's decline and the sender's revoke.
Accepting is joining (api/challenges/joining.py)."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.challenge_scores.checking_in import challenge_not_found
from api.challenges.joining import invite_not_found
from db.challenge_invites import (
    InviteParties,
    close_invite,
    insert_link_invite,
    invite_parties,
    received_invite,
    sent_invite,
    upsert_direct_invite,
)
from db.challenges import ChallengeRow, visible_challenge
from domain.challenge_rules import DIRECT_INVITE_TTL, LINK_INVITE_TTL, invite_link
from domain.dedupe_keys import challenge_invite_key
from domain.errors import Forbidden, NotFound, RuleBroken
from domain.notification_copy.challenge_notices import challenge_invite_notification
from services.notify import NotificationDraft, notify
from services.transaction import Transaction

# 9 random bytes are 12 URL-safe characters (§2.8 invite_code).
_CODE_BYTES = 9


async def _inviting(
    connection: AsyncConnection, me: UUID, challenge_id: UUID, invitee: UUID | None
) -> tuple[ChallengeRow, InviteParties]:
    """The challenge and the parties, once the caller may invite to it: a creator or participant, while
    the challenge is upcoming or active."""
    challenge = await visible_challenge(connection, me, challenge_id)
    if challenge is None:
        raise challenge_not_found()
    parties = await invite_parties(connection, challenge_id, me, invitee)
    if not parties.inviter_in and challenge.created_by != me:
        raise Forbidden("Only the challenge's participants can invite.", code="not_a_participant")
    if not challenge.is_open:
        raise RuleBroken("This challenge is no longer open.", code="challenge_not_open")
    return challenge, parties


async def invite_user(tx: Transaction, me: UUID, challenge_id: UUID, invitee: UUID, *, now: datetime) -> UUID:
    """A direct invite (new, or a finished one reset to pending) and the invitee's notice."""
    connection = tx.connection
    challenge, parties = await _inviting(connection, me, challenge_id, invitee)
    if invitee == me:
        raise RuleBroken("You cannot invite yourself.", code="cannot_invite_self")
    if not parties.invitee_active:
        raise NotFound("User not found.", code="user_not_found")
    if parties.invitee_in:
        raise RuleBroken("This user is already in the challenge.", code="already_participant")
    invite = await upsert_direct_invite(
        connection, challenge_id, me, invitee, now=now, expires_at=now + DIRECT_INVITE_TTL
    )
    if invite is None:
        raise RuleBroken("This user already has a pending invite.", code="invite_pending")
    content = challenge_invite_notification(
        challenge_id, challenge.title, invite.id, me, parties.inviter_name
    )
    draft = NotificationDraft(invitee, content, dedupe_key=challenge_invite_key(invite.id, invite.expires_at))
    await notify(tx, [draft], now=now)
    return invite.id


async def create_link(
    connection: AsyncConnection, me: UUID, challenge_id: UUID, *, now: datetime
) -> tuple[str, str]:
    """A new link invite: (code, URL)."""
    _, parties = await _inviting(connection, me, challenge_id, None)
    code = secrets.token_urlsafe(_CODE_BYTES)
    await insert_link_invite(connection, challenge_id, me, code=code, expires_at=now + LINK_INVITE_TTL)
    return code, invite_link(code, parties.inviter_referral_code)


async def decline_invite(connection: AsyncConnection, me: UUID, invite_id: UUID, *, now: datetime) -> None:
    invite = await received_invite(connection, invite_id, me)
    if invite is None:
        raise invite_not_found()
    if invite.status != "pending":
        raise RuleBroken(f"This invite is {invite.status}.", code="invite_not_pending")
    await close_invite(connection, invite_id, declined=True, now=now)


async def revoke_invite(connection: AsyncConnection, me: UUID, invite_id: UUID, *, now: datetime) -> None:
    """The sender deletes a pending invite (and the invitee's notice)."""
    invite = await sent_invite(connection, invite_id, me)
    if invite is None:
        raise invite_not_found()
    if invite.status != "pending":
        raise RuleBroken(f"This invite is {invite.status}.", code="invite_not_pending")
    await close_invite(connection, invite_id, declined=False, now=now)
