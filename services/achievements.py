"""Badge evaluation (§3.7): counts → the pure choice → one insert → notices for what was inserted.

    await evaluate_achievements(tx, [user_id], now=now, source=AchievementSource(SourceType.GOAL, goal_id))

runs inside the caller's transaction, so an unlock and its notices commit (or roll back) with what
caused them. For any number of users and badges it issues at most four statements: every condition
count of the set with the active catalogue's version (db/achievements.py), the catalogue itself only
when this process has not cached that version yet, one INSERT … ON CONFLICT DO NOTHING RETURNING of
all the unlocks, and one notify() of all the notices; the last two only when something was earned. A
completed check-in that earns nothing costs one statement. Notices go out for inserted rows only:
an `achievement` notice per badge to its user, and one `partner_milestone` notice to each accepted
partner of a user who unlocked anything (naming the badge, or "<N> achievements"). Two evaluations
racing for the same badge insert it once, so it is announced once.

Triggers: a completed check-in and goal creation (the API), POST /achievements/check, the daily
account-age sweep (workers/jobs/achievements.py). Partnership acceptance and a sent nudge or cheer call
it the same way from their own transactions:

    accepted = AchievementSource(SourceType.PARTNERSHIP, partnership_id)
    await evaluate_achievements(tx, [sender_id, accepter_id], now=now, source=accepted)
    sent = AchievementSource(SourceType.NUDGE, nudge_id)
    await evaluate_achievements(tx, [sender_id], now=now, source=sent)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from db.achievements import (
    AchievementTypeRow,
    InsertedUnlock,
    NewUnlock,
    UserConditions,
    active_achievement_types,
    condition_counts,
    insert_unlocks,
)
from db.notifications import NotificationDraft
from domain.achievements import SourceType, earned_badges
from domain.notification_copy.achievement_notices import achievement_notification
from domain.notification_copy.partner_notices import partner_achievements_notification
from services.notify import notify
from services.transaction import Transaction

__all__ = ["AchievementSource", "Unlocked", "evaluate_achievements"]


@dataclass(frozen=True, slots=True)
class AchievementSource:
    """What triggered the evaluation, kept in each unlock's metadata as source_type / source_id."""

    type: SourceType
    id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Unlocked:
    """A badge unlocked by this evaluation: the inserted row with its badge."""

    row: InsertedUnlock
    badge: AchievementTypeRow


async def evaluate_achievements(
    tx: Transaction,
    user_ids: Sequence[UUID],
    *,
    now: datetime,
    source: AchievementSource | None = None,
) -> list[Unlocked]:
    """Unlock every badge the users have newly earned at `now` and notify them and their partners;
    returns the badges this call unlocked, by user and sort order."""
    if not user_ids:
        return []
    connection = tx.connection
    users = await condition_counts(connection, sorted(set(user_ids)), now=now)
    if not users:
        return []
    badges = await active_achievement_types(connection, users[0].catalogue_version)
    earned = [
        (user, badge)
        for user in users
        for badge in earned_badges(
            user.counts, [badge for badge in badges if badge.id not in user.unlocked_type_ids]
        )
    ]
    if not earned:
        return []
    # In key order, so evaluations of overlapping sets wait on each other's rows in one order (no deadlock).
    unlocks = sorted(
        (NewUnlock(user.user_id, badge.id, _metadata(user, source)) for user, badge in earned),
        key=lambda unlock: (unlock.user_id, unlock.achievement_type_id),
    )
    inserted = await insert_unlocks(connection, unlocks, now=now)
    badge_of = {badge.id: badge for badge in badges}
    unlocked = sorted(
        (Unlocked(row, badge_of[row.achievement_type_id]) for row in inserted),
        key=lambda item: (item.row.user_id, item.badge.sort_order),
    )
    await notify(tx, _drafts(unlocked, {user.user_id: user for user in users}), now=now)
    return unlocked


def _metadata(user: UserConditions, source: AchievementSource | None) -> dict[str, Any]:
    """The counts at unlock time and the trigger."""
    return {
        **user.counts.as_json(),
        "source_type": source.type.value if source else None,
        "source_id": str(source.id) if source and source.id else None,
    }


def _drafts(unlocked: Sequence[Unlocked], users: dict[UUID, UserConditions]) -> list[NotificationDraft]:
    """One achievement notice per unlock, then one partner_milestone notice per (unlocker, partner)."""
    drafts = [
        NotificationDraft(
            item.row.user_id,
            achievement_notification(
                item.row.id, item.badge.badge_key, item.badge.badge_name, item.badge.badge_description
            ),
        )
        for item in unlocked
    ]
    by_user: defaultdict[UUID, list[Unlocked]] = defaultdict(list)
    for item in unlocked:
        by_user[item.row.user_id].append(item)
    for user_id, items in by_user.items():
        user = users[user_id]
        drafts.extend(
            NotificationDraft(
                link.partner_id,
                partner_achievements_notification(
                    user_achievement_id=items[0].row.id,
                    unlocker_id=user_id,
                    unlocker_name=user.name,
                    partnership_id=link.partnership_id,
                    badge_names=[item.badge.badge_name for item in items],
                ),
            )
            for link in user.partners
        )
    return drafts
