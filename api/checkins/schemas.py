"""Request and response bodies of /check-ins (docs/domain.md §5: the CheckIn shape)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api.structs import struct_from_row
from db.checkins import CheckInRow

Mood = Literal["tough", "good", "amazing"]
SkipReason = Literal["work", "tired", "sick", "schedule", "other"]

# A note is a sentence or two about the day, not a diary: longer input is refused (422).
NOTE_MAX_LENGTH = 1000
Note = Annotated[str, msgspec.Meta(max_length=NOTE_MAX_LENGTH)]
# The client still sends its own date; the server derives the date itself (§3.2), so it is only bounded.
IgnoredDate = Annotated[str, msgspec.Meta(max_length=40)]


def clean_note(text: str | None) -> str | None:
    """What a note stores: the text without surrounding blanks; blank text stores nothing."""
    return (text.strip() or None) if text is not None else None


class CheckInCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    """POST /check-ins. `notes` is the older client's name for `note`."""

    goal_id: UUID
    completed: bool
    is_rest_day: bool = False
    mood: Mood | None = None
    skip_reason: SkipReason | None = None
    note: Note | None = None
    notes: Note | None = None
    check_in_date: IgnoredDate | None = None

    def note_text(self) -> str | None:
        return clean_note(self.note if self.note is not None else self.notes)


class CheckInUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """PUT /check-ins/{id}: a field left out stays as it is; null clears it.

    The app sends a partial create body here (checkins.ts `updateCheckIn`), so the create fields are
    taken too: `goal_id` must name the row's goal, `check_in_date` is bounded and ignored, and
    `completed` / `is_rest_day` must describe the status the row already has (it never changes, §3.2).
    """

    mood: Mood | msgspec.UnsetType | None = msgspec.UNSET
    note: Note | msgspec.UnsetType | None = msgspec.UNSET
    notes: Note | msgspec.UnsetType | None = msgspec.UNSET
    skip_reason: SkipReason | msgspec.UnsetType | None = msgspec.UNSET
    goal_id: UUID | msgspec.UnsetType = msgspec.UNSET
    completed: bool | msgspec.UnsetType = msgspec.UNSET
    is_rest_day: bool | msgspec.UnsetType = msgspec.UNSET
    check_in_date: IgnoredDate | msgspec.UnsetType | None = msgspec.UNSET


class CheckInOut(msgspec.Struct):
    id: UUID
    goal_id: UUID
    user_id: UUID
    check_in_date: date
    status: str
    mood: str | None
    skip_reason: str | None
    note: str | None
    voice_note_url: str | None
    voice_note_transcript: str | None
    ai_response: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: CheckInRow) -> CheckInOut:
        return struct_from_row(cls, row)


class AnsweredCheckInOut(CheckInOut):
    """POST /check-ins: the row plus the goal's streak and this local week's completions after it."""

    current_streak: int
    week_completions: int


class GoalTodayOut(msgspec.Struct):
    goal_id: UUID
    date: date
    has_checked_in: bool
    check_in: CheckInOut | None
    can_check_in: bool
    is_scheduled_today: bool


class CheckInStatsOut(msgspec.Struct):
    """GET /check-ins/stats. total_checkins counts every non-pending row (missed included);
    completion_rate = completed ÷ total_checkins × 100, like GET /goals/{id}/stats.

    The app's `CheckInStats` type reads `total_check_ins` / `completed_check_ins`; the original server
    wrote `total_checkins` / `completed_checkins`. Both spellings carry the same counts.
    """

    goal_id: UUID | None
    total_checkins: int
    completed_checkins: int
    total_check_ins: int
    completed_check_ins: int
    skipped_checkins: int
    missed_checkins: int
    rest_day_checkins: int
    pending_checkins: int
    completion_rate: float
    current_streak: int
    longest_streak: int
    checkins_last_7d: int
    completed_last_7d: int
    checkins_last_30d: int
    completed_last_30d: int


class StreakOut(msgspec.Struct):
    """`last_check_in_date` is the app's `StreakData` name; `last_check_in` the original server's."""

    current_streak: int
    longest_streak: int
    last_check_in: date | None
    last_check_in_date: date | None
    streak_start: date | None


class CheckInCalendarOut(msgspec.Struct):
    year: int
    month: int
    days: dict[str, list[CheckInOut]]
