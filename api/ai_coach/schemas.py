"""Bodies of /ai-coach, in the app's shapes (services/api/aiCoach.ts of the client; client-behaviour
§7.1–7.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal
from uuid import UUID

import msgspec

from api.structs import struct_from_row
from db.coach_conversations import ConversationRow, MessageRow
from domain.coach_limits import REWARD_MAX_AMOUNT
from services.coach.accept import TurnRequest

# Room for any ISO 639-1 code or locale tag the app may send; an unknown one means English.
LANGUAGE_MAX_LENGTH: Final = 16
# A rewarded ad's id as the ad SDK gives it (AdMob's transaction ids are well under this).
REWARD_ID_MAX_LENGTH: Final = 200
# Wider than the 2000 characters allowed after trimming, so the length rule (and its code) decides.
MESSAGE_MAX_LENGTH: Final = 10_000

Language = Annotated[str, msgspec.Meta(max_length=LANGUAGE_MAX_LENGTH)]
RewardId = Annotated[str, msgspec.Meta(min_length=1, max_length=REWARD_ID_MAX_LENGTH)]
RewardAmount = Annotated[int, msgspec.Meta(ge=1, le=REWARD_MAX_AMOUNT)]
RewardType = Annotated[str, msgspec.Meta(max_length=32)]
MessageText = Annotated[str, msgspec.Meta(max_length=MESSAGE_MAX_LENGTH)]


class AccessOut(msgspec.Struct):
    has_access: bool
    reason: str | msgspec.UnsetType = msgspec.UNSET


class RateLimitOut(msgspec.Struct):
    """`daily_limit` includes the day's rewarded-ad bonus; the app computes used = limit − remaining."""

    can_send: bool
    remaining_messages: int
    daily_limit: int
    resets_at: datetime


class ConversationSummaryOut(msgspec.Struct):
    id: UUID
    title: str | None
    message_count: int
    last_message_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, row: ConversationRow) -> ConversationSummaryOut:
        return struct_from_row(cls, row)


class ConversationListOut(msgspec.Struct):
    """The app reads `conversations`, `has_more` and `total_count`; `next_cursor` is the keyset position
    of the next page (absent on the last page)."""

    conversations: list[ConversationSummaryOut]
    has_more: bool
    total_count: int
    next_cursor: str | msgspec.UnsetType = msgspec.UNSET


class MessageOut(msgspec.Struct):
    message_id: UUID
    message_index: int
    role: str
    content: str
    status: str
    created_at: datetime

    @classmethod
    def of(cls, row: MessageRow) -> MessageOut:
        return struct_from_row(cls, row, message_id=row.id, message_index=row.position)


class ConversationDetailOut(msgspec.Struct):
    """A conversation with one page of its messages, oldest first within the page."""

    id: UUID
    title: str | None
    messages: list[MessageOut]
    message_count: int
    last_message_at: datetime
    created_at: datetime
    has_more_messages: bool
    total_messages: int


class DeletedOut(msgspec.Struct):
    success: bool
    message: str


class NewConversationIn(msgspec.Struct, forbid_unknown_fields=True):
    """The app sends `{}`."""


class ChatIn(msgspec.Struct, forbid_unknown_fields=True):
    """POST /ai-coach/chat/async (and /chat): the app's AsyncChatRequest."""

    message: MessageText
    conversation_id: UUID | None = None
    language: Language | None = None
    is_retry: bool = False
    force_new: bool = False
    goal_id: UUID | None = None

    def turn(self) -> TurnRequest:
        return TurnRequest(
            message=self.message,
            conversation_id=self.conversation_id,
            language=self.language,
            is_retry=self.is_retry,
            force_new=self.force_new,
            goal_id=self.goal_id,
        )


class ChatAcceptedOut(msgspec.Struct):
    """The app's type says `{conversation_id, message_index, status}`; the older one read `success` and
    `message_status`. `user_message_id` is the pending message the reply will answer."""

    success: bool
    conversation_id: UUID
    message_index: int
    user_message_id: UUID
    status: Literal["pending"] = "pending"
    message_status: Literal["pending"] = "pending"


class UnlockIn(msgspec.Struct, forbid_unknown_fields=True):
    """The app sends `reward_type` and `reward_amount`; `reward_id` (or the Idempotency-Key header) names
    the rewarded ad, so a repeated claim of it adds nothing."""

    reward_type: RewardType
    reward_amount: RewardAmount = 1
    reward_id: RewardId | None = None


class UnlockOut(msgspec.Struct):
    success: bool
    messages_unlocked: int
    remaining_messages: int
    daily_limit: int
