"""Partnership writes (§3.4): request, accept, reject, cancel, remove, block, unblock.

Whatever changes a user's partner count (a request, an accept) first takes that user's partner lock
(both users' in id order at accept), then re-reads under it, so two requests can never both pass a
limit. The row itself is locked before it changes, so an accept racing a cancel leaves one outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from api.partners.allowance import Allowance, allowances
from db.partner_inactivity import schedule_partner_inactivity
from db.partner_lists import PartnerView, partner_view
from db.partnerships import (
    PartnershipRow,
    PartnershipStatus,
    accept_partnership,
    block_pair,
    delete_expired_pair,
    delete_partnership,
    insert_request,
    lock_partner_limits,
    pair_row,
    partnership_by_id,
)
from domain.achievements import SourceType
from domain.errors import NotFound, PlanLimitReached, RuleBroken
from domain.notification_copy.partner_notices import (
    partner_accepted_notification,
    partner_request_notification,
)
from services.achievements import AchievementSource, evaluate_achievements
from services.notify import NotificationDraft, notify
from services.transaction import Transaction


class CommittedRefusal(RuleBroken):
    """A 400 whose writes must still commit (an accept that withdraws the request): the controller
    answers it as an error response instead of letting it roll the transaction back."""


def _limit_reached(allowance: Allowance, whose: str) -> dict[str, object]:
    return {
        "limit": allowance.limit,
        "accepted_count": allowance.accepted,
        "pending_sent_count": allowance.pending_sent,
        "total_toward_limit": allowance.total,
        "whose_limit": whose,
    }


def partnership_not_found() -> NotFound:
    return NotFound("Partnership not found.", code="partnership_not_found")


async def send_request(
    tx: Transaction, me: UUID, target: UUID, *, now: datetime, ttl: timedelta
) -> PartnerView:
    connection = tx.connection
    if target == me:
        raise RuleBroken("You cannot partner with yourself.", code="cannot_partner_self")
    await lock_partner_limits(connection, [me])
    allowance = await allowances(connection, [me, target], now=now)
    if not allowance[target].is_active:
        raise NotFound("User not found.", code="user_not_found")
    mine = allowance[me]
    if not mine.has_feature:
        raise PlanLimitReached(
            "Accountability partners are not part of your plan.", code="partner_feature_required"
        )
    # The pair's own row first: "already pending" says more about a repeated request than the limit
    # it also reaches.
    await delete_expired_pair(connection, me, target, now=now)
    existing = await pair_row(connection, me, target, now=now)
    if existing is not None:
        raise _existing_refusal(existing)
    if not mine.can_add:
        raise RuleBroken(
            f"You have reached your limit of {mine.limit} partners (requests you sent count too).",
            code="partner_limit_reached",
            extra=_limit_reached(mine, "sender"),
        )
    # An opposite request committed since the read above loses here on the pair index → 409.
    row = await insert_request(connection, me, target, expires_at=now + ttl)
    content = partner_request_notification(me, mine.name, row.id)
    await notify(tx, [NotificationDraft(target, content)], now=now)
    return await partner_view(connection, me, row.id)


def _existing_refusal(existing: PartnershipRow) -> RuleBroken:
    if existing.status == PartnershipStatus.ACCEPTED:
        return RuleBroken("You are already partners.", code="already_partners")
    if existing.status == PartnershipStatus.PENDING:
        return RuleBroken("A partner request is already pending between you.", code="request_pending")
    return RuleBroken("You cannot send a partner request to this user.", code="partner_blocked")


async def _pending_for(
    tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime, as_receiver: bool
) -> PartnershipRow:
    """The live pending request, locked, when the caller is its receiver (or its sender)."""
    row = await partnership_by_id(tx.connection, me, partnership_id, now=now, lock=True)
    mine = row is not None and (row.partner_user_id if as_receiver else row.user_id) == me
    if row is None or not mine or row.status != PartnershipStatus.PENDING:
        raise NotFound("Partner request not found.", code="request_not_found")
    return row


async def accept_request(
    tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime, inactive_days: int
) -> None:
    connection = tx.connection
    seen = await partnership_by_id(connection, me, partnership_id, now=now)
    if seen is None or seen.partner_user_id != me:
        raise NotFound("Partner request not found.", code="request_not_found")
    await lock_partner_limits(connection, [seen.user_id, me])
    row = await _pending_for(tx, me, partnership_id, now=now, as_receiver=True)
    allowance = await allowances(connection, [row.user_id, me], now=now, excluding=row.id)
    sender, receiver = allowance[row.user_id], allowance[me]
    if not sender.is_active:
        raise NotFound("Partner request not found.", code="request_not_found")
    if not sender.can_add:
        await delete_partnership(connection, row.id)
        raise CommittedRefusal(
            "The sender has reached their partner limit; the request was withdrawn.",
            code="sender_partner_limit_reached",
            extra=_limit_reached(sender, "sender"),
        )
    if not receiver.can_add:
        raise RuleBroken(
            "You have reached your partner limit."
            if receiver.has_feature
            else "Accountability partners are not part of your plan.",
            code="partner_limit_reached",
            extra=_limit_reached(receiver, "receiver"),
        )
    await accept_partnership(connection, row.id, now=now)
    # A user who never checks in is reported to a new partner `inactive_days` after acceptance (§3.11).
    await schedule_partner_inactivity(connection, [row.user_id, me], now=now, days=inactive_days)
    content = partner_accepted_notification(me, receiver.name, row.id)
    await notify(tx, [NotificationDraft(row.user_id, content)], now=now)
    await evaluate_achievements(
        tx, [row.user_id, me], now=now, source=AchievementSource(SourceType.PARTNERSHIP, row.id)
    )


async def reject_request(tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime) -> None:
    row = await _pending_for(tx, me, partnership_id, now=now, as_receiver=True)
    await delete_partnership(tx.connection, row.id)


async def cancel_request(tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime) -> None:
    row = await _pending_for(tx, me, partnership_id, now=now, as_receiver=False)
    await delete_partnership(tx.connection, row.id)


async def remove_partner(tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime) -> None:
    row = await partnership_by_id(tx.connection, me, partnership_id, now=now, lock=True)
    if row is None or row.status != PartnershipStatus.ACCEPTED:
        raise partnership_not_found()
    await delete_partnership(tx.connection, row.id)


async def block_partnership(tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime) -> None:
    row = await partnership_by_id(tx.connection, me, partnership_id, now=now, lock=True)
    if row is None:
        raise partnership_not_found()
    if row.status == PartnershipStatus.BLOCKED:
        if row.blocked_by == me:
            return  # already blocked by the caller
        raise partnership_not_found()  # the other side's block is theirs alone
    await block_pair(tx.connection, me, row.other(me), now=now, partnership_id=row.id)


async def block_user(tx: Transaction, me: UUID, other: UUID, *, now: datetime) -> None:
    """Block via report: the pair's row becomes a block by the caller, or a new blocked row is made.
    A block the other user already holds stays theirs."""
    connection = tx.connection
    await delete_expired_pair(connection, me, other, now=now)
    row = await pair_row(connection, me, other, now=now)
    if row is not None and row.status == PartnershipStatus.BLOCKED:
        return
    await block_pair(connection, me, other, now=now, partnership_id=None if row is None else row.id)


async def unblock(tx: Transaction, me: UUID, partnership_id: UUID, *, now: datetime) -> None:
    row = await partnership_by_id(tx.connection, me, partnership_id, now=now, lock=True)
    if row is None or row.status != PartnershipStatus.BLOCKED or row.blocked_by != me:
        raise partnership_not_found()
    await delete_partnership(tx.connection, row.id)
