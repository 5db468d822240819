"""The one way to notify users: inbox rows, delivery rows and the push worker's wake-up, in one call.

    await notify(tx, [NotificationDraft(user_id, content, dedupe_key=...)], now=now)

writes every draft's inbox row and one delivery row per active device in one statement
(db/notifications.py applies preferences, category switches and quiet hours there), inside the
caller's transaction, and queues `push.deliver` to leave once that transaction commits. A rollback
drops rows and message together; a lost message only delays the push (push.sweep finds the rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from db.notifications import CreatedNotifications, NotificationDraft, create_notifications
from services.addresses import PUSH_DELIVER
from services.transaction import Transaction

__all__ = ["CreatedNotifications", "NotificationDraft", "notify"]


async def notify(
    tx: Transaction, drafts: Sequence[NotificationDraft], *, now: datetime
) -> CreatedNotifications:
    """Write `drafts` (those whose dedupe key is new) and wake the push worker after commit."""
    created = await create_notifications(tx.connection, drafts, now=now)
    if created.deliveries:
        tx.enqueue(PUSH_DELIVER)
    return created
