"""AI-coach rows written as the routes and the reply worker would, for tests that need many of them."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import ai_coach_conversations, ai_coach_messages


async def insert_conversation(
    connection: AsyncConnection,
    user_id: UUID,
    *,
    last_message_at: datetime,
    messages: int = 0,
    archived: bool = False,
    title: str | None = None,
) -> UUID:
    """A conversation with `messages` completed messages (user and assistant in turn, a minute apart,
    the last at `last_message_at`), positions 0 … messages − 1."""
    conversation_id: UUID = (
        await connection.execute(
            sa.insert(ai_coach_conversations)
            .values(
                user_id=user_id,
                title=title,
                message_count=messages,
                last_message_at=last_message_at,
                is_archived=archived,
                created_at=last_message_at - timedelta(minutes=messages),
            )
            .returning(ai_coach_conversations.c.id)
        )
    ).scalar_one()
    if messages:
        await connection.execute(
            sa.insert(ai_coach_messages),
            [
                {
                    "conversation_id": conversation_id,
                    "user_id": user_id,
                    "position": position,
                    "role": "user" if position % 2 == 0 else "assistant",
                    "content": f"message {position}",
                    "status": "completed",
                    "created_at": last_message_at - timedelta(minutes=messages - 1 - position),
                }
                for position in range(messages)
            ],
        )
    return conversation_id
