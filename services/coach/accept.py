"""Accepting one turn of the AI coach (docs/coach.md, "A turn"): the part of POST /ai-coach/chat/async
and POST /ai-coach/chat that runs before the model, in the caller's one transaction.

`accept_turn` checks the message (1–2000 characters after trimming), the plan (403) and the goal it is
about (the caller's own, else 404); chooses the conversation (`force_new` → a new one; else
`conversation_id`, the caller's and not archived, else 404; else the current one, else a new one);
reserves one message of the local day's quota (429 over the limit); appends the pending user message
and drops the oldest beyond HISTORY_CAP (one DELETE) — or, on a retry whose last message is the user's
and failed, makes that message pending again; evaluates the coach badges; and enqueues COACH_REPLY with
the message id after commit. Nothing is written when any check fails.

A retry whose last user message is still pending (its reply is on the way, or the sweeper will find
it) changes nothing and reserves nothing: it answers that message's ids again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.coach_conversations import (
    append_user_message,
    create_conversation,
    current_conversation,
    drop_oldest_messages,
    last_message,
    own_goal_exists,
    repend_user_message,
    touch_conversation,
)
from db.coach_usage import reserve_message, usage_on
from domain.achievements import SourceType
from domain.coach_limits import HISTORY_CAP, coach_language, daily_limit, message_text
from domain.errors import DailyLimitReached, NotFound
from services.achievements import AchievementSource, evaluate_achievements
from services.addresses import COACH_REPLY
from services.coach.access import CoachAccess, require_coach
from services.transaction import Transaction

__all__ = ["AcceptedTurn", "TurnRequest", "accept_turn"]


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What the app sends with a message (client-behaviour §7.1), before any check."""

    message: str
    conversation_id: UUID | None = None
    language: str | None = None
    is_retry: bool = False
    force_new: bool = False
    goal_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class AcceptedTurn:
    conversation_id: UUID
    # The pending user message the reply answers (COACH_REPLY's argument), and its position (the app's
    # `message_index`).
    message_id: UUID
    message_index: int


async def accept_turn(tx: Transaction, user_id: UUID, turn: TurnRequest, *, now: datetime) -> AcceptedTurn:
    """Accept the caller's message for a reply, or raise (422, 403, 404, 429) having written nothing."""
    connection = tx.connection
    content = message_text(turn.message)
    access = await require_coach(connection, user_id, now=now)
    if turn.goal_id is not None and not await own_goal_exists(connection, user_id, turn.goal_id):
        raise NotFound("Goal not found.", code="goal_not_found")
    conversation_id = await _locked_conversation(tx, user_id, turn, now=now)
    language = coach_language(turn.language)

    last = await last_message(connection, user_id, conversation_id) if turn.is_retry else None
    if last is not None and last.role == "user" and last.status == "pending":
        return AcceptedTurn(conversation_id, last.id, last.position)
    await _reserve(tx, user_id, access, now=now)
    if last is not None and last.role == "user" and last.status == "failed":
        await repend_user_message(
            connection,
            user_id,
            last.id,
            language=language,
            goal_id=turn.goal_id,
            quota_date=access.usage_date,
        )
        accepted = AcceptedTurn(conversation_id, last.id, last.position)
    else:
        if turn.is_retry:  # nothing to retry: the message goes in as a new one
            await touch_conversation(connection, user_id, conversation_id, added=1, now=now)
        message = await append_user_message(
            connection,
            user_id,
            conversation_id,
            content=content,
            language=language,
            goal_id=turn.goal_id,
            quota_date=access.usage_date,
            now=now,
        )
        # Positions only grow, so a conversation holds at most position + 1 messages.
        if message.position >= HISTORY_CAP:
            await drop_oldest_messages(connection, conversation_id, keep=HISTORY_CAP)
        accepted = AcceptedTurn(conversation_id, message.id, message.position)

    source = AchievementSource(SourceType.COACH_MESSAGE, conversation_id)
    await evaluate_achievements(tx, [user_id], now=now, source=source)
    tx.enqueue(COACH_REPLY, str(accepted.message_id))
    return accepted


async def _locked_conversation(tx: Transaction, user_id: UUID, turn: TurnRequest, *, now: datetime) -> UUID:
    """The conversation the turn goes to, its row locked (and its activity moved to `now`) until commit;
    a new message counts in its message_count at once, a retry's not yet."""
    connection = tx.connection
    added = 0 if turn.is_retry else 1
    if turn.conversation_id is not None and not turn.force_new:
        if not await touch_conversation(connection, user_id, turn.conversation_id, added=added, now=now):
            raise NotFound("Conversation not found.", code="conversation_not_found")
        return turn.conversation_id
    current = None if turn.force_new else await current_conversation(connection, user_id)
    # The current one may be deleted between the read and the lock: then the turn starts a new one.
    if current is not None and await touch_conversation(
        connection, user_id, current.id, added=added, now=now
    ):
        return current.id
    created = await create_conversation(connection, user_id, now=now)
    await touch_conversation(connection, user_id, created.id, added=added, now=now)
    return created.id


async def _reserve(tx: Transaction, user_id: UUID, access: CoachAccess, *, now: datetime) -> None:
    """Count the message on the caller's local day, or 429 when the day's limit is used up."""
    reserved = await reserve_message(
        tx.connection, user_id, access.usage_date, plan_limit=access.plan_limit, now=now
    )
    if reserved is not None:
        return
    usage = await usage_on(tx.connection, user_id, access.usage_date)
    limit = daily_limit(access.plan_limit, usage.bonus_messages)
    raise DailyLimitReached(
        f"Daily message limit reached ({limit} messages). Your messages reset at midnight.",
        code="ai_coach_daily_limit",
        extra={"daily_limit": limit, "remaining_messages": 0, "resets_at": access.resets_at.isoformat()},
    )
