"""Challenge lifecycle workflows (§3.6): start, finish, cancel and the creator teardown, each inside the
caller's transaction with a constant number of statements for any number of challenges.

The lifecycle jobs (workers/jobs/challenges.py) run `start_due_challenges` and `finish_due_challenges`
per batch; the subscription teardown (services/billing/teardown.py) runs `tear_down_creator_challenges`.
Every transition is a status-guarded UPDATE (db/challenge_lifecycle.py), every notice goes through the
fan-out (services/challenge_notices.py) with a per-recipient dedupe key, so whatever runs twice
changes and tells everything once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.challenge_lifecycle import (
    ClosedChallenge,
    activate_due_challenges,
    cancel_challenges_of_creators,
    complete_due_challenges,
    delete_pending_invites,
    final_standings,
    participants_of,
    trim_joined_challenges,
)
from db.challenge_ranks import store_final_ranks
from db.plans import PlanCatalog, plan_catalog
from domain.achievements import SourceType
from domain.challenge_notices import CancelReason, ChallengeNotice, Recipient
from domain.plans import Feature, PlanId
from services.achievements import AchievementSource, evaluate_achievements
from services.challenge_notices import FanOut, FanOutCounts, fan_out
from services.transaction import Transaction

__all__ = [
    "CreatorTeardown",
    "StartCounts",
    "announce_cancellations",
    "creator_plans",
    "finish_due_challenges",
    "recipients_by_challenge",
    "start_due_challenges",
    "tear_down_creator_challenges",
]


def creator_plans(catalog: PlanCatalog) -> list[str]:
    """The plans whose users may create (and so keep running) challenges: `challenge_create`."""
    return [plan.id for plan in catalog.plans if plan.feature_set().has(Feature.CHALLENGE_CREATE)]


def _free_challenge_limit(catalog: PlanCatalog) -> int | None:
    free = catalog.plan(PlanId.FREE.value)
    if free is None:  # the seeded catalogue always has it: a broken deployment
        raise RuntimeError("the free plan is missing from subscription_plans")
    return free.feature_set().limit(Feature.CHALLENGE_LIMIT)


async def recipients_by_challenge(
    tx: Transaction, challenge_ids: Sequence[UUID], *, but_creator: bool
) -> dict[UUID, list[Recipient]]:
    """Every participant of `challenge_ids` (but the creator, if told) as a recipient, by challenge, in
    join order (one statement)."""
    members: dict[UUID, list[Recipient]] = defaultdict(list)
    for challenge_id, user_id in await participants_of(tx.connection, challenge_ids, but_creator=but_creator):
        members[challenge_id].append(Recipient(user_id))
    return members


async def announce_cancellations(
    tx: Transaction, cancelled: Sequence[ClosedChallenge], *, reason: str | None, now: datetime
) -> FanOutCounts:
    """Tell every participant but the creator that these challenges were cancelled for `reason` (None:
    a creator who gave none)."""
    members = await recipients_by_challenge(tx, [c.id for c in cancelled], but_creator=True)
    fan_outs: list[FanOut] = [
        (ChallengeNotice.cancelled(challenge.id, challenge.title, reason), members[challenge.id])
        for challenge in cancelled
        if members[challenge.id]
    ]
    return await fan_out(tx, fan_outs, now=now)


@dataclass(frozen=True, slots=True)
class StartCounts:
    activated: int
    cancelled: int
    invites_deleted: int
    notified: int  # inline notices plus recipients handed to chunks


async def start_due_challenges(tx: Transaction, *, now: datetime, limit: int) -> StartCounts:
    """Up to `limit` upcoming challenges whose local start has come: active when the creator still has
    premium, else cancelled (creator_subscription_expired) with the participants told. Pending invites
    go when joining closes (no later join_deadline) and with every cancellation."""
    plans = creator_plans(await plan_catalog(tx.connection))
    reason = CancelReason.CREATOR_SUBSCRIPTION_EXPIRED.value
    started = await activate_due_challenges(
        tx.connection, now=now, creator_plans=plans, reason=reason, limit=limit
    )
    cancelled = [
        ClosedChallenge(item.id, item.title, item.created_by)
        for item in started
        if item.status == "cancelled"
    ]
    closing = [item.id for item in started if item.status == "cancelled" or item.joining_closed]
    invites, _ = await delete_pending_invites(tx.connection, closing)
    told = await announce_cancellations(tx, cancelled, reason=reason, now=now) if cancelled else None
    return StartCounts(
        activated=len(started) - len(cancelled),
        cancelled=len(cancelled),
        invites_deleted=invites,
        notified=(told.inline + told.chunked) if told else 0,
    )


async def finish_due_challenges(tx: Transaction, *, now: datetime, limit: int) -> tuple[int, int, int]:
    """Up to `limit` active challenges past their local end date → completed (§3.6 Finish): final ranks
    stored, completed_at on every participant, winners in metadata, pending invites gone, one result
    notice per participant and badge evaluation for the winners. Returns (completed, notified,
    winners)."""
    completed = await complete_due_challenges(tx.connection, now=now, limit=limit)
    if not completed:
        return 0, 0, 0
    ids = [challenge.id for challenge in completed]
    await store_final_ranks(tx.connection, ids)
    standings = await final_standings(tx.connection, ids, now=now)
    await delete_pending_invites(tx.connection, ids)
    recipients: dict[UUID, list[Recipient]] = defaultdict(list)
    for standing in standings:
        recipients[standing.challenge_id].append(Recipient(standing.user_id, standing.rank, standing.points))
    told = await fan_out(
        tx,
        [
            (
                ChallengeNotice.result(challenge.id, challenge.title, len(challenge.winner_ids)),
                recipients[challenge.id],
            )
            for challenge in completed
            if recipients[challenge.id]
        ],
        now=now,
    )
    winners = sorted({winner for challenge in completed for winner in challenge.winner_ids})
    await evaluate_achievements(tx, winners, now=now, source=AchievementSource(SourceType.CHALLENGE_WON))
    return len(completed), told.inline + told.chunked, len(winners)


@dataclass(frozen=True, slots=True)
class CreatorTeardown:
    """What the challenge step of the downgrade teardown did (the deactivation log's summary columns)."""

    cancelled: tuple[ClosedChallenge, ...]
    left: tuple[tuple[UUID, UUID], ...]  # (challenge_id, user_id) memberships deleted

    def cancelled_by(self, user_id: UUID) -> tuple[UUID, ...]:
        return tuple(challenge.id for challenge in self.cancelled if challenge.created_by == user_id)

    def left_by(self, user_id: UUID) -> tuple[UUID, ...]:
        return tuple(challenge_id for challenge_id, member in self.left if member == user_id)


async def tear_down_creator_challenges(
    tx: Transaction, user_ids: Sequence[UUID], *, now: datetime
) -> CreatorTeardown:
    """§3.6 "when a creator's premium ends", for every user of `user_ids` at once: one statement cancels
    all their upcoming and active challenges, one deletes those challenges' pending invites with their
    inbox rows, the participants are told through the fan-out (one read, at most one notify(), the
    rest in chunk messages after commit), and one statement trims the challenges they joined to the
    free limit, keeping the earliest join. Constant statements whatever the number of challenges or
    participants. Ranks need no recompute: they are derived when read (db/challenge_ranks.py)."""
    reason = CancelReason.CREATOR_SUBSCRIPTION_EXPIRED.value
    cancelled = await cancel_challenges_of_creators(tx.connection, user_ids, reason=reason, now=now)
    if cancelled:
        await delete_pending_invites(tx.connection, [challenge.id for challenge in cancelled])
        await announce_cancellations(tx, cancelled, reason=reason, now=now)
    keep = _free_challenge_limit(await plan_catalog(tx.connection))
    left = [] if keep is None else await trim_joined_challenges(tx.connection, user_ids, keep=keep)
    return CreatorTeardown(tuple(cancelled), tuple(left))
