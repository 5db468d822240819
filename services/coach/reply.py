"""One coach turn from the pending user message to the stored reply: the `coach.reply` actor runs
`answer_message`; the streaming route (POST /ai-coach/chat) claims in its accept transaction
(`claim_turn`) and streams `finish_turn`.

1. One transaction claims the message (a fresh claim id, claimed_at as the lease, attempts + 1) and
   reads what the model is told; it commits before the model is asked, so no connection is held
   while the model thinks.
2. The model writes the reply within the turn's deadline: COACH_REPLY_DEADLINE_SECONDS after the
   message was created.
3. One transaction, fenced by the claim, completes the user message, appends the reply, adds the
   tokens to the conversation and the day's usage, and gives an untitled conversation its fallback
   title (§7.3: the first sentence of the message). A run whose lease was taken over, or a doubled
   message, writes nothing.
4. Then, outside the client's wait, the `coach.title` message (enqueued with the store, a lower priority
   than replies) has one small call ask the model for a better title (`name_conversation`).

No reply by the deadline (model slow, failing, over budget, or the run started too late) stores the
fallback reply of domain/coach.py instead, and gives the day's reserved message back: the user was not
answered. A run that dies midway leaves the message pending with its claim; the sweeper
(workers/coach_replies.py) re-drives or fails it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from db.coach_turns import (
    ClaimedMessage,
    TurnOwner,
    claim_message,
    retitle,
    store_reply,
    titled_turn,
    turn_owner,
)
from db.coach_usage import release_reserved_message
from domain.coach import FALLBACK_REPLY, fallback_title, system_prompt
from services.addresses import COACH_TITLE
from services.ai.model import DeltaSink, TextModel
from services.coach.context import TurnContext, turn_context
from services.coach.tools import ToolCaller
from services.coach.turn import CoachReply, write_reply, write_title
from services.transaction import Database
from settings import Settings

__all__ = [
    "ClaimedTurn",
    "TurnOutcome",
    "TurnResult",
    "answer_message",
    "claim_turn",
    "finish_turn",
    "name_conversation",
]

logger = logging.getLogger(__name__)

# Kept back from the deadline for the storing transaction.
STORE_MARGIN_SECONDS: Final = 1.0
# The title is a side dish: it never holds the reply up for long.
TITLE_DEADLINE_SECONDS: Final = 5.0


class TurnOutcome(StrEnum):
    ANSWERED = "answered"
    FALLBACK = "fallback"  # no reply in time: the fallback reply was stored
    NOT_CLAIMED = "not_claimed"  # answered, failed, gone, or another run holds it
    CLAIM_LOST = "claim_lost"  # the lease ran out and another run took over: nothing written


@dataclass(frozen=True, slots=True)
class TurnResult:
    outcome: TurnOutcome
    conversation_id: UUID | None = None
    reply_id: UUID | None = None
    content: str = ""
    tokens_used: int = 0


@dataclass(frozen=True, slots=True)
class ClaimedTurn:
    """A claimed message with everything the model is told; no connection needed any more."""

    message: ClaimedMessage
    owner: TurnOwner
    context: TurnContext


async def claim_turn(
    connection: AsyncConnection, message_id: UUID, settings: Settings, *, now: datetime
) -> ClaimedTurn | None:
    """Claim the pending user message in the caller's transaction (which commits before the model is
    asked) and read what the model is told; None when there is nothing for this run to answer."""
    lease = timedelta(seconds=settings.coach_claim_lease_seconds)
    message = await claim_message(connection, message_id, claim_id=uuid4(), now=now, lease=lease)
    owner = None if message is None else await turn_owner(connection, message)
    if message is None or owner is None:
        return None
    return ClaimedTurn(message, owner, await turn_context(connection, message, owner, now=now))


async def finish_turn(
    database: Database,
    model: TextModel,
    settings: Settings,
    turn: ClaimedTurn,
    *,
    clock: Callable[[], datetime],
    on_delta: DeltaSink | None = None,
) -> TurnResult:
    """Write the reply of a claimed (and committed) turn within its deadline and store it."""
    message, owner, context = turn.message, turn.owner, turn.context
    loop = asyncio.get_running_loop()
    deadline_at = message.created_at + timedelta(seconds=settings.coach_reply_deadline_seconds)
    deadline = loop.time() + (deadline_at - clock()).total_seconds() - STORE_MARGIN_SECONDS
    caller = ToolCaller(message.user_id, owner.plan, context.today, clock())
    reply = await write_reply(
        model,
        database,
        caller,
        system=system_prompt(context.facts, message.language),
        history=context.history,
        deadline=deadline,
        on_delta=on_delta,
    )
    title = fallback_title(message.content) if owner.title is None else None
    return await _store(database, message, reply, title, clock())


async def name_conversation(database: Database, model: TextModel, message_id: UUID) -> bool:
    """The model's title for the conversation of `message_id`, in place of the fallback title its turn
    set (the first sentence of the message), unless it was renamed meanwhile; False when nothing changed."""
    async with database.single_statement() as connection:
        turn = await titled_turn(connection, message_id)
    if turn is None or turn.title != fallback_title(turn.content):
        return False
    title = await write_title(model, turn.content, deadline_seconds=TITLE_DEADLINE_SECONDS)
    if title is None:
        return False
    async with database.single_statement() as connection:
        return await retitle(connection, turn, new=title)


async def answer_message(
    database: Database,
    model: TextModel,
    settings: Settings,
    message_id: UUID,
    *,
    clock: Callable[[], datetime],
) -> TurnResult:
    """The worker's whole turn: claim `message_id` (committed), then finish it."""
    async with database.transaction() as tx:
        turn = await claim_turn(tx.connection, message_id, settings, now=clock())
    if turn is None:
        return TurnResult(TurnOutcome.NOT_CLAIMED)
    return await finish_turn(database, model, settings, turn, clock=clock)


async def _store(
    database: Database, message: ClaimedMessage, reply: CoachReply | None, title: str | None, now: datetime
) -> TurnResult:
    fallback = reply is None
    content = FALLBACK_REPLY if reply is None else reply.content
    tokens = 0 if reply is None else reply.tokens_used
    async with database.transaction() as tx:
        stored = await store_reply(
            tx.connection,
            message,
            content=content,
            tokens_used=tokens,
            tool_calls=None if reply is None else reply.tool_calls,
            title=title,
            give_back_quota=fallback,
            now=now,
        )
        if stored is not None and fallback and message.quota_date is not None:
            await release_reserved_message(tx.connection, message.user_id, message.quota_date)
        if stored is not None and title is not None and not fallback:
            tx.enqueue(COACH_TITLE, str(message.id))
    if stored is None:
        logger.warning("coach turn for message %s lost its claim; nothing stored", message.id)
        return TurnResult(TurnOutcome.CLAIM_LOST, message.conversation_id)
    return TurnResult(
        TurnOutcome.FALLBACK if fallback else TurnOutcome.ANSWERED,
        message.conversation_id,
        stored.message_id,
        content,
        tokens,
    )
