"""POST /nudges: a nudge or cheer to an accepted partner, within the daily limits (§3.5).

Everything happens in the request's transaction under the partnership row lock (db/nudges.py): the
check that the two are accepted partners, the limit count and the insert, then the recipient's notice
through notify(), whose gate applies their partners switch and quiet hours. A refusal or a rollback
leaves neither the nudge nor its notice.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api.nudges.schemas import NudgeCreateIn
from db.notifications import NotificationDraft
from db.nudges import NewNudge, NudgeRow, insert_nudge, key_share_pair_goal, lock_partnership_to_nudge
from domain.achievements import SourceType
from domain.errors import DailyLimitReached, Forbidden, NotFound
from domain.local_time import local_today
from domain.notification_copy.partner_notices import partner_nudge_notification
from domain.nudges import daily_nudge_limit, emoji_character
from services.achievements import AchievementSource, evaluate_achievements
from services.notify import notify
from services.transaction import Transaction


async def send_nudge(tx: Transaction, sender_id: UUID, data: NudgeCreateIn, *, now: datetime) -> NudgeRow:
    """Store the nudge, write the recipient's notice and unlock the sender's nudge and cheer badges
    (§3.7), all in the request's transaction; 403, 404 or 429 write nothing."""
    partnership = await lock_partnership_to_nudge(
        tx.connection, sender_id=sender_id, recipient_id=data.recipient_id
    )
    if partnership is None:
        raise Forbidden("You can only nudge your accountability partners.", code="not_partners")
    if data.goal_id is not None and not await key_share_pair_goal(
        tx.connection, data.goal_id, (sender_id, data.recipient_id)
    ):
        raise NotFound("Goal not found.", code="goal_not_found")
    limit = daily_nudge_limit(data.nudge_type)
    nudge = await insert_nudge(
        tx.connection,
        NewNudge(
            sender=partnership.sender,
            recipient_id=data.recipient_id,
            partnership_id=partnership.partnership_id,
            nudge_type=data.nudge_type.value,
            message=data.message_text(),
            emoji=emoji_character(data.emoji_text()),
            goal_id=data.goal_id,
            nudge_date=local_today(partnership.sender_timezone, now),
        ),
        daily_limit=limit,
        now=now,
    )
    if nudge is None:
        raise DailyLimitReached(
            f"Daily limit reached: {limit} {data.nudge_type.value} a day to this partner.",
            code="daily_limit_reached",
            extra={"limit": limit, "nudge_type": data.nudge_type.value},
        )
    content = partner_nudge_notification(
        nudge_id=nudge.id,
        nudge_type=nudge.nudge_type,
        sender_id=sender_id,
        sender_name=nudge.sender.name,
        partnership_id=nudge.partnership_id,
        goal_id=nudge.goal_id,
        emoji=nudge.emoji,
        message=nudge.message,
    )
    await notify(tx, [NotificationDraft(nudge.recipient_id, content)], now=now)
    await evaluate_achievements(
        tx, [sender_id], now=now, source=AchievementSource(SourceType.NUDGE, nudge.id)
    )
    return nudge
