"""THE fan-out of challenge notices to participants (§3.6 Fan-out): inline for up to 10 recipients,
otherwise in chunks of 50 per worker message.

    await fan_out(tx, [(ChallengeNotice.cancelled(cid, title, reason), recipients)], now=now)

Every inline notice of the call, whatever the number of challenges, is written by ONE notify() in the
caller's transaction, and the chunks leave as `challenges.notify_chunk` messages once it commits, so a
caller that cancels or finishes many challenges at once issues a constant number of statements. The
actor (workers/challenge_notices.py) calls `notify_chunk`, which writes its chunk with one notify();
each notice has a per-recipient dedupe key (domain/challenge_notices.py), so a retried or doubled
chunk, or a job run twice, notifies nobody twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from domain.challenge_notices import ChallengeNotice, Recipient, notice_content
from services.addresses import CHALLENGE_NOTIFY_CHUNK
from services.notify import CreatedNotifications, NotificationDraft, notify
from services.transaction import Transaction

__all__ = ["CHUNK_SIZE", "INLINE_LIMIT", "FanOut", "FanOutCounts", "fan_out", "notify_chunk"]

INLINE_LIMIT: Final = 10
CHUNK_SIZE: Final = 50

# One challenge's notice and the participants it goes to.
FanOut = tuple[ChallengeNotice, Sequence[Recipient]]


@dataclass(frozen=True, slots=True)
class FanOutCounts:
    inline: int  # notices written in the caller's transaction (dedupe conflicts left out)
    chunked: int  # recipients handed to chunk messages
    messages: int


async def fan_out(tx: Transaction, fan_outs: Sequence[FanOut], *, now: datetime) -> FanOutCounts:
    """Notify each notice's recipients: ≤ 10 inline (one notify() for all of them), else chunks of 50."""
    inline: list[NotificationDraft] = []
    messages: list[list[object]] = []
    chunked = 0
    for notice, recipients in fan_outs:
        if len(recipients) <= INLINE_LIMIT:
            inline.extend(_drafts(notice, recipients))
            continue
        payload = notice.to_payload()
        for start in range(0, len(recipients), CHUNK_SIZE):
            chunk = recipients[start : start + CHUNK_SIZE]
            messages.append([payload, [recipient.to_payload() for recipient in chunk]])
        chunked += len(recipients)
    written = await notify(tx, inline, now=now) if inline else None
    if messages:
        tx.enqueue_many(CHALLENGE_NOTIFY_CHUNK, messages)
    return FanOutCounts(
        inline=len(written.notification_ids) if written else 0, chunked=chunked, messages=len(messages)
    )


async def notify_chunk(
    tx: Transaction, notice: ChallengeNotice, recipients: Sequence[Recipient], *, now: datetime
) -> CreatedNotifications:
    """One chunk message's work: its recipients' notices in one notify()."""
    return await notify(tx, _drafts(notice, recipients), now=now)


def _drafts(notice: ChallengeNotice, recipients: Sequence[Recipient]) -> list[NotificationDraft]:
    drafts = []
    for recipient in recipients:
        content, dedupe_key = notice_content(notice, recipient)
        drafts.append(NotificationDraft(recipient.user_id, content, dedupe_key=dedupe_key))
    return drafts
