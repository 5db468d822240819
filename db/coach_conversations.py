"""The AI coach's conversations and their messages (ai_coach_conversations, ai_coach_messages);
docs/coach.md. Every statement is scoped to the owner's id.

Conversations are listed by latest activity (last_message_at DESC, id DESC: the partial index
ix_ai_coach_conversations_user_activity), archived ones hidden; the current conversation is the first
of that order. Messages are rows numbered by `position` within their conversation (the app's
`message_index`); pages count back from the newest. Whoever appends a message also moves its
conversation's message_count and last_message_at in the same transaction, with the conversation row
locked first (`touch_conversation`), so positions never collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import ai_coach_conversations, ai_coach_messages, goals

__all__ = [
    "ConversationRow",
    "LastMessage",
    "MessageRow",
    "PendingUserMessage",
    "append_user_message",
    "conversation_page",
    "create_conversation",
    "current_conversation",
    "delete_conversation",
    "drop_oldest_messages",
    "last_message",
    "message_count",
    "message_page",
    "own_conversation",
    "own_goal_exists",
    "repend_user_message",
    "touch_conversation",
]

_UUID = postgresql.UUID(as_uuid=True)
_CONVERSATION = ai_coach_conversations.c
_MESSAGE = ai_coach_messages.c
_OWNER = sa.bindparam("owner_id", type_=_UUID)
_CONVERSATION_ID = sa.bindparam("conversation", type_=_UUID)
_NOW = sa.bindparam("now", type_=sa.DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: UUID
    title: str | None
    message_count: int
    last_message_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: UUID
    position: int
    role: str
    content: str
    status: str
    created_at: datetime


_CONVERSATION_COLUMNS: Final = (
    _CONVERSATION.id,
    _CONVERSATION.title,
    _CONVERSATION.message_count,
    _CONVERSATION.last_message_at,
    _CONVERSATION.created_at,
)
_MESSAGE_COLUMNS: Final = (
    _MESSAGE.id,
    _MESSAGE.position,
    _MESSAGE.role,
    _MESSAGE.content,
    _MESSAGE.status,
    _MESSAGE.created_at,
)
_LISTED: Final = (_CONVERSATION.user_id == _OWNER, sa.not_(_CONVERSATION.is_archived))
_ACTIVITY_ORDER: Final = (_CONVERSATION.last_message_at.desc(), _CONVERSATION.id.desc())


def _conversation(row: Any) -> ConversationRow:
    return ConversationRow(**row._mapping)


def _page_statement() -> sa.Select[Any]:
    after_at = sa.bindparam("after_at", type_=sa.DateTime(timezone=True))
    after_id = sa.bindparam("after_id", type_=_UUID)
    keyset = sa.tuple_(_CONVERSATION.last_message_at, _CONVERSATION.id) < sa.tuple_(after_at, after_id)
    return (
        sa.select(*_CONVERSATION_COLUMNS)
        .where(*_LISTED, keyset)
        .order_by(*_ACTIVITY_ORDER)
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


_PAGE: Final = _page_statement()
# After any activity PostgreSQL can store: the first page's keyset position (one plan for every page).
_NO_POSITION: Final = (datetime(9999, 12, 31, tzinfo=UTC), UUID(int=(1 << 128) - 1))
_COUNT: Final = sa.select(sa.func.count()).select_from(ai_coach_conversations).where(*_LISTED)


async def conversation_page(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    limit: int,
    offset: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[list[ConversationRow], int]:
    """The owner's listed conversations by latest activity: those after the keyset position `after` (a
    cursor), else from `offset`; and how many the owner has listed in all."""
    after_at, after_id = after if after is not None else _NO_POSITION
    parameters = {
        "owner_id": user_id,
        "limit": limit,
        "offset": offset,
        "after_at": after_at,
        "after_id": after_id,
    }
    rows = [_conversation(row) for row in await connection.execute(_PAGE, parameters)]
    total = (await connection.execute(_COUNT, parameters)).scalar_one()
    return rows, total


_CURRENT: Final = sa.select(*_CONVERSATION_COLUMNS).where(*_LISTED).order_by(*_ACTIVITY_ORDER).limit(1)


async def current_conversation(connection: AsyncConnection, user_id: UUID) -> ConversationRow | None:
    """The owner's listed conversation with the latest activity, if any."""
    row = (await connection.execute(_CURRENT, {"owner_id": user_id})).first()
    return None if row is None else _conversation(row)


_OWN: Final = sa.select(*_CONVERSATION_COLUMNS).where(
    _CONVERSATION.id == _CONVERSATION_ID, _CONVERSATION.user_id == _OWNER
)


async def own_conversation(
    connection: AsyncConnection, user_id: UUID, conversation_id: UUID
) -> ConversationRow | None:
    row = (await connection.execute(_OWN, {"owner_id": user_id, "conversation": conversation_id})).first()
    return None if row is None else _conversation(row)


async def create_conversation(
    connection: AsyncConnection, user_id: UUID, *, now: datetime
) -> ConversationRow:
    """A new empty conversation; its last_message_at is its creation, so it is current at once."""
    row = (
        await connection.execute(
            sa.insert(ai_coach_conversations)
            .values(user_id=user_id, last_message_at=now, created_at=now, updated_at=now)
            .returning(*_CONVERSATION_COLUMNS)
        )
    ).one()
    return _conversation(row)


async def delete_conversation(connection: AsyncConnection, user_id: UUID, conversation_id: UUID) -> None:
    """Delete the owner's conversation and its messages (cascade); nothing when absent or not theirs."""
    await connection.execute(
        sa.delete(ai_coach_conversations).where(
            _CONVERSATION.id == conversation_id, _CONVERSATION.user_id == user_id
        )
    )


def _message_page_statement() -> sa.Select[Any]:
    newest = (
        sa.select(*_MESSAGE_COLUMNS)
        .where(_MESSAGE.conversation_id == _CONVERSATION_ID, _MESSAGE.user_id == _OWNER)
        .order_by(_MESSAGE.position.desc())
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .subquery("newest")
    )
    return sa.select(newest).order_by(newest.c.position)


_MESSAGE_PAGE: Final = _message_page_statement()


async def message_page(
    connection: AsyncConnection, user_id: UUID, conversation_id: UUID, *, limit: int, offset: int
) -> list[MessageRow]:
    """Up to `limit` messages counted back from the newest after skipping `offset`, oldest first."""
    parameters = {"owner_id": user_id, "conversation": conversation_id, "limit": limit, "offset": offset}
    return [MessageRow(**row._mapping) for row in await connection.execute(_MESSAGE_PAGE, parameters)]


_MESSAGE_COUNT: Final = (
    sa.select(sa.func.count())
    .select_from(ai_coach_messages)
    .where(_MESSAGE.conversation_id == _CONVERSATION_ID, _MESSAGE.user_id == _OWNER)
)


async def message_count(connection: AsyncConnection, user_id: UUID, conversation_id: UUID) -> int:
    """How many messages the owner's conversation holds (at most HISTORY_CAP + a reply)."""
    parameters = {"owner_id": user_id, "conversation": conversation_id}
    return (await connection.execute(_MESSAGE_COUNT, parameters)).scalar_one()


async def own_goal_exists(connection: AsyncConnection, user_id: UUID, goal_id: UUID) -> bool:
    return (
        await connection.execute(
            sa.select(sa.literal(True)).where(goals.c.id == goal_id, goals.c.user_id == user_id)
        )
    ).first() is not None


def _touch_statement() -> sa.Update:
    return (
        sa.update(ai_coach_conversations)
        .where(
            _CONVERSATION.id == _CONVERSATION_ID,
            _CONVERSATION.user_id == _OWNER,
            sa.not_(_CONVERSATION.is_archived),
        )
        .values(
            message_count=_CONVERSATION.message_count + sa.bindparam("added", type_=sa.Integer),
            last_message_at=_NOW,
            updated_at=_NOW,
        )
        .returning(_CONVERSATION.id)
    )


_TOUCH: Final = _touch_statement()


async def touch_conversation(
    connection: AsyncConnection, user_id: UUID, conversation_id: UUID, *, added: int, now: datetime
) -> bool:
    """Lock the owner's listed conversation for an append of `added` messages and mark its activity at
    `now`; False when it is not theirs, archived or gone."""
    parameters = {"owner_id": user_id, "conversation": conversation_id, "added": added, "now": now}
    return (await connection.execute(_TOUCH, parameters)).first() is not None


@dataclass(frozen=True, slots=True)
class PendingUserMessage:
    id: UUID
    position: int


def _append_statement() -> sa.Insert:
    # A statement of its own after touch_conversation's lock: in READ COMMITTED it sees the positions
    # a concurrent append committed while this one waited.
    next_position = (
        sa.select(sa.func.coalesce(sa.func.max(_MESSAGE.position) + 1, 0))
        .where(_MESSAGE.conversation_id == _CONVERSATION_ID)
        .scalar_subquery()
    )
    return (
        sa.insert(ai_coach_messages)
        .values(
            conversation_id=_CONVERSATION_ID,
            user_id=_OWNER,
            position=next_position,
            role="user",
            content=sa.bindparam("text", type_=sa.Text),
            status="pending",
            language=sa.bindparam("reply_language", type_=sa.Text),
            goal_id=sa.bindparam("about_goal", type_=_UUID),
            quota_date=sa.bindparam("quota_day", type_=sa.Date),
            created_at=_NOW,
        )
        .returning(_MESSAGE.id, _MESSAGE.position)
    )


_APPEND: Final = _append_statement()


async def append_user_message(
    connection: AsyncConnection,
    user_id: UUID,
    conversation_id: UUID,
    *,
    content: str,
    language: str,
    goal_id: UUID | None,
    quota_date: date,
    now: datetime,
) -> PendingUserMessage:
    """Append a pending user message at the end of the conversation (locked by touch_conversation)."""
    parameters = {
        "owner_id": user_id,
        "conversation": conversation_id,
        "text": content,
        "reply_language": language,
        "about_goal": goal_id,
        "quota_day": quota_date,
        "now": now,
    }
    row = (await connection.execute(_APPEND, parameters)).one()
    return PendingUserMessage(row.id, row.position)


@dataclass(frozen=True, slots=True)
class LastMessage:
    id: UUID
    position: int
    role: str
    status: str


_LAST: Final = (
    sa.select(_MESSAGE.id, _MESSAGE.position, _MESSAGE.role, _MESSAGE.status)
    .where(_MESSAGE.conversation_id == _CONVERSATION_ID, _MESSAGE.user_id == _OWNER)
    .order_by(_MESSAGE.position.desc())
    .limit(1)
)


async def last_message(
    connection: AsyncConnection, user_id: UUID, conversation_id: UUID
) -> LastMessage | None:
    """The newest message of the owner's conversation (read after touch_conversation's lock)."""
    row = (await connection.execute(_LAST, {"owner_id": user_id, "conversation": conversation_id})).first()
    return None if row is None else LastMessage(row.id, row.position, row.role, row.status)


async def repend_user_message(
    connection: AsyncConnection,
    user_id: UUID,
    message_id: UUID,
    *,
    language: str,
    goal_id: UUID | None,
    quota_date: date,
) -> None:
    """Make a failed user message pending again for a fresh turn (a retry): a new claim, new attempts."""
    await connection.execute(
        sa.update(ai_coach_messages)
        .where(_MESSAGE.id == message_id, _MESSAGE.user_id == user_id, _MESSAGE.status == "failed")
        .values(
            status="pending",
            claim_id=None,
            claimed_at=None,
            attempts=0,
            completed_at=None,
            language=language,
            goal_id=goal_id,
            quota_date=quota_date,
        )
    )


def _drop_oldest_statement() -> sa.Delete:
    beyond_cap = (
        sa.select(_MESSAGE.id)
        .where(_MESSAGE.conversation_id == _CONVERSATION_ID)
        .order_by(_MESSAGE.position.desc())
        .offset(sa.bindparam("keep", type_=sa.Integer))
    )
    return sa.delete(ai_coach_messages).where(
        _MESSAGE.conversation_id == _CONVERSATION_ID, _MESSAGE.id.in_(beyond_cap)
    )


_DROP_OLDEST: Final = _drop_oldest_statement()
_SET_COUNT: Final = (
    sa.update(ai_coach_conversations)
    .where(_CONVERSATION.id == _CONVERSATION_ID)
    .values(message_count=sa.bindparam("keep", type_=sa.Integer))
)


async def drop_oldest_messages(connection: AsyncConnection, conversation_id: UUID, *, keep: int) -> int:
    """Keep the newest `keep` messages of the conversation (locked by touch_conversation): one DELETE of
    the older ones, and the count set to what is left; the number dropped."""
    parameters = {"conversation": conversation_id, "keep": keep}
    dropped = (await connection.execute(_DROP_OLDEST, parameters)).rowcount
    if dropped:
        await connection.execute(_SET_COUNT, parameters)
    return dropped
