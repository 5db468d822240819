"""/ai-coach routes (client-behaviour §7.1–7.3; docs/coach.md): access and today's limit, the caller's
conversations (offset or keyset cursor, latest activity first), one conversation with a page of its
messages, delete, a new empty conversation, the asynchronous turn, and bonus messages for a rewarded
ad. Every route but /access needs the plan feature `ai_coach_chat` (403 otherwise); /access reports it.

A conversation id that is not the caller's answers 404 like an unknown one; DELETE answers 200 either
way and touches nothing of anyone else's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncConnection

from api.ai_coach.schemas import (
    REWARD_ID_MAX_LENGTH,
    AccessOut,
    ChatAcceptedOut,
    ChatIn,
    ConversationDetailOut,
    ConversationListOut,
    ConversationSummaryOut,
    DeletedOut,
    MessageOut,
    NewConversationIn,
    RateLimitOut,
    UnlockIn,
    UnlockOut,
)
from api.auth.request import AuthRequest
from api.pagination import Cursor, Offset, decode_cursor, encode_cursor, page_of
from db.coach_conversations import (
    ConversationRow,
    conversation_page,
    create_conversation,
    current_conversation,
    delete_conversation,
    message_count,
    message_page,
    own_conversation,
)
from db.coach_usage import usage_on
from domain.coach_limits import daily_limit, remaining_messages
from domain.errors import NotFound
from services.coach.accept import accept_turn
from services.coach.access import coach_access, require_coach
from services.coach.unlock import unlock_messages
from services.transaction import Transaction

LIST_DEFAULT_LIMIT: Final = 20
LIST_MAX_LIMIT: Final = 50
MESSAGES_DEFAULT_LIMIT: Final = 50
MESSAGES_MAX_LIMIT: Final = 100

ConversationLimit = Annotated[int, QueryParameter(ge=1, le=LIST_MAX_LIMIT)]
MessageLimit = Annotated[int, QueryParameter(ge=1, le=MESSAGES_MAX_LIMIT)]
IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=REWARD_ID_MAX_LENGTH)
]


class AICoachController(Controller):
    path = "/ai-coach"
    tags = ["ai-coach"]

    @get("/access")
    async def access(
        self, request: AuthRequest, tx: NamedDependency[Transaction], now: NamedDependency[datetime]
    ) -> AccessOut:
        """Whether the caller's effective plan has the coach (this route itself never answers 403)."""
        found = await coach_access(tx.connection, request.user.id, now=now)
        if found.has_access:
            return AccessOut(has_access=True)
        return AccessOut(has_access=False, reason="The AI coach is not part of your plan.")

    @get("/rate-limit")
    async def rate_limit(
        self, request: AuthRequest, tx: NamedDependency[Transaction], now: NamedDependency[datetime]
    ) -> RateLimitOut:
        """Today's (local) allowance: the plan's messages plus the day's bonus, and what is left of it."""
        access = await require_coach(tx.connection, request.user.id, now=now)
        usage = await usage_on(tx.connection, request.user.id, access.usage_date)
        limit = daily_limit(access.plan_limit, usage.bonus_messages)
        remaining = remaining_messages(limit, usage.message_count)
        return RateLimitOut(
            can_send=remaining > 0,
            remaining_messages=remaining,
            daily_limit=limit,
            resets_at=access.resets_at,
        )

    @get("/conversations")
    async def conversations(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        limit: ConversationLimit = LIST_DEFAULT_LIMIT,
        offset: Offset = None,
        cursor: Cursor = None,
    ) -> ConversationListOut:
        """Latest activity first, archived ones hidden; `offset` is honoured only without a cursor."""
        await require_coach(tx.connection, request.user.id, now=now)
        after = None if cursor is None else decode_cursor(cursor, datetime, UUID)
        rows, total = await conversation_page(
            tx.connection,
            request.user.id,
            limit=limit + 1,
            offset=0 if after is not None else offset or 0,
            after=(after[0], after[1]) if after is not None else None,
        )
        served = page_of(rows, limit, _cursor_of)
        return ConversationListOut(
            conversations=[ConversationSummaryOut.of(row) for row in served.rows],
            has_more=served.next_cursor is not None,
            total_count=total,
            next_cursor=served.next_cursor or msgspec.UNSET,  # absent on the last page
        )

    @get("/conversations/current")
    async def current(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        message_limit: MessageLimit = MESSAGES_DEFAULT_LIMIT,
        message_offset: Offset = None,
    ) -> ConversationDetailOut | None:
        """The conversation with the latest activity, with its newest messages; JSON null when none."""
        await require_coach(tx.connection, request.user.id, now=now)
        found = await current_conversation(tx.connection, request.user.id)
        if found is None:
            return None
        return await _detail(tx.connection, request.user.id, found, message_limit, message_offset or 0)

    @get("/conversations/{conversation_id:uuid}")
    async def conversation(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        conversation_id: FromPath[UUID],
        message_limit: MessageLimit = MESSAGES_DEFAULT_LIMIT,
        message_offset: Offset = None,
    ) -> ConversationDetailOut:
        """One of the caller's conversations with a page of its messages (counted back from the newest)."""
        await require_coach(tx.connection, request.user.id, now=now)
        found = await own_conversation(tx.connection, request.user.id, conversation_id)
        if found is None:
            raise NotFound("Conversation not found.", code="conversation_not_found")
        return await _detail(tx.connection, request.user.id, found, message_limit, message_offset or 0)

    @delete("/conversations/{conversation_id:uuid}", status_code=HTTP_200_OK)
    async def delete_conversation(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        conversation_id: FromPath[UUID],
    ) -> DeletedOut:
        """A hard delete of the caller's conversation and its messages; 200 when there was none."""
        await require_coach(tx.connection, request.user.id, now=now)
        await delete_conversation(tx.connection, request.user.id, conversation_id)
        return DeletedOut(success=True, message="Conversation deleted")

    @post("/conversations/new", status_code=HTTP_200_OK)
    async def new_conversation(
        self,
        request: AuthRequest,
        data: JSONBody[NewConversationIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ConversationSummaryOut:
        """An empty conversation, current from now on."""
        await require_coach(tx.connection, request.user.id, now=now)
        return ConversationSummaryOut.of(await create_conversation(tx.connection, request.user.id, now=now))

    @post("/chat/async", status_code=HTTP_200_OK)
    async def chat_async(
        self,
        request: AuthRequest,
        data: JSONBody[ChatIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ChatAcceptedOut:
        """Store the message and queue its reply (`coach.reply`); the app fetches the conversation for it."""
        turn = data.turn()
        accepted = await accept_turn(tx, request.user.id, turn, now=now)
        return ChatAcceptedOut(
            success=True,
            conversation_id=accepted.conversation_id,
            message_index=accepted.message_index,
            user_message_id=accepted.message_id,
        )

    @post("/unlock-message", status_code=HTTP_200_OK)
    async def unlock_message(
        self,
        request: AuthRequest,
        data: JSONBody[UnlockIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        idempotency_key: IdempotencyKey = None,
    ) -> UnlockOut:
        """Bonus messages for a rewarded ad, once per ad id (body `reward_id`, else Idempotency-Key)."""
        unlocked = await unlock_messages(
            tx,
            request.user.id,
            reward_type=data.reward_type,
            amount=data.reward_amount,
            reward_id=data.reward_id or idempotency_key,
            now=now,
        )
        return UnlockOut(
            success=True,
            messages_unlocked=unlocked.messages_unlocked,
            remaining_messages=unlocked.remaining_messages,
            daily_limit=unlocked.daily_limit,
        )


async def _detail(
    connection: AsyncConnection, user_id: UUID, conversation: ConversationRow, limit: int, offset: int
) -> ConversationDetailOut:
    messages = await message_page(connection, user_id, conversation.id, limit=limit, offset=offset)
    total = await message_count(connection, user_id, conversation.id)
    return ConversationDetailOut(
        id=conversation.id,
        title=conversation.title,
        messages=[MessageOut.of(row) for row in messages],
        message_count=total,
        last_message_at=conversation.last_message_at,
        created_at=conversation.created_at,
        has_more_messages=offset + len(messages) < total,
        total_messages=total,
    )


def _cursor_of(row: ConversationRow) -> str:
    return encode_cursor(row.last_message_at, row.id)
