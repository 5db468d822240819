"""Request and response bodies of /nudges (the Nudge shape of docs/domain.md §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final
from uuid import UUID

import msgspec

from api.structs import struct_from_row
from db.nudges import NudgeRow
from domain.nudges import NudgeType

# A nudge is a line or two (the app's own field takes 200); the push shows the first 150 characters.
MESSAGE_MAX_LENGTH: Final = 500
# An emoji name of the table ("thumbs_up") or an emoji itself, ZWJ sequences included.
EMOJI_MAX_LENGTH: Final = 32
Message = Annotated[str, msgspec.Meta(max_length=MESSAGE_MAX_LENGTH)]
Emoji = Annotated[str, msgspec.Meta(max_length=EMOJI_MAX_LENGTH)]


class NudgeCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    """POST /nudges. `partnership_id` is accepted and ignored: the server finds the pair's partnership."""

    recipient_id: UUID
    nudge_type: NudgeType
    message: Message | None = None
    emoji: Emoji | None = None
    goal_id: UUID | None = None
    partnership_id: UUID | None = None

    def message_text(self) -> str | None:
        return _stored_text(self.message)

    def emoji_text(self) -> str | None:
        return _stored_text(self.emoji)


def _stored_text(text: str | None) -> str | None:
    """What is stored: the text without surrounding blanks; blank text stores nothing."""
    return (text.strip() or None) if text is not None else None


class NudgeSenderOut(msgspec.Struct):
    id: UUID
    name: str
    username: str
    profile_picture_url: str | None


class NudgeOut(msgspec.Struct):
    id: UUID
    sender_id: UUID
    recipient_id: UUID
    nudge_type: str
    message: str | None
    emoji: str | None
    goal_id: UUID | None
    challenge_id: UUID | None
    partnership_id: UUID
    is_read: bool
    read_at: datetime | None
    created_at: datetime
    sender: NudgeSenderOut

    @classmethod
    def of(cls, row: NudgeRow) -> NudgeOut:
        return struct_from_row(cls, row, sender=struct_from_row(NudgeSenderOut, row.sender))


class UnreadCountOut(msgspec.Struct):
    unread_count: int


class MessageOut(msgspec.Struct):
    message: str


class ReadAllOut(msgspec.Struct):
    message: str
    count: int
