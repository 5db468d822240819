"""Request and response bodies of the challenge check-in and leaderboard routes, in the 1870506
client's shapes (ChallengeCheckIn, ChallengeCheckInResponse, LeaderboardEntry of challenges.ts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final, Literal
from uuid import UUID

import msgspec

from db.challenge_check_ins import ChallengeCheckInRow, ListedCheckIn, RecordedCheckIn
from db.challenge_ranks import LeaderboardEntry

Mood = Literal["great", "good", "okay", "bad", "terrible"]
NOTES_MAX_LENGTH: Final = 1000
# A URL of an uploaded photo; far longer is not a URL the app produces.
PHOTO_URL_MAX_LENGTH: Final = 2048
Notes = Annotated[str, msgspec.Meta(max_length=NOTES_MAX_LENGTH)]
PhotoUrl = Annotated[str, msgspec.Meta(max_length=PHOTO_URL_MAX_LENGTH)]
# The client may send its own date; the server takes the participant's local today (§3.6), so it is
# only bounded.
IgnoredDate = Annotated[str, msgspec.Meta(max_length=40)]


def stored_text(text: str | None) -> str | None:
    """What is stored: the text without surrounding blanks; blank text stores nothing."""
    return (text.strip() or None) if text is not None else None


class ChallengeCheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    """POST /challenges/{id}/check-in (every field optional: the app sends `{}`)."""

    check_in_date: IgnoredDate | None = None
    notes: Notes | None = None
    mood: Mood | None = None
    photo_url: PhotoUrl | None = None


class ChallengeCheckInEditIn(msgspec.Struct, forbid_unknown_fields=True):
    """PUT /challenges/{id}/check-ins/{check_in_id}: a field left out stays as it is; null clears it."""

    notes: Notes | msgspec.UnsetType | None = msgspec.UNSET
    mood: Mood | msgspec.UnsetType | None = msgspec.UNSET
    photo_url: PhotoUrl | msgspec.UnsetType | None = msgspec.UNSET

    def changes(self) -> dict[str, str | None]:
        given = {"notes": self.notes, "mood": self.mood, "photo_url": self.photo_url}
        return {
            name: stored_text(value) if name != "mood" else value
            for name, value in given.items()
            if value is not msgspec.UNSET
        }


class ParticipantOut(msgspec.Struct):
    id: UUID
    name: str
    username: str
    profile_picture_url: str | None


class ChallengeCheckInOut(msgspec.Struct):
    """A check-in row; a row exists only once checked in, hence completed / is_checked_in."""

    id: UUID
    challenge_id: UUID
    user_id: UUID
    check_in_date: date
    notes: str | None
    mood: str | None
    photo_url: str | None
    points_awarded: int
    completed: bool
    is_checked_in: bool
    created_at: datetime
    updated_at: datetime
    user: ParticipantOut | None = None

    @classmethod
    def of(cls, row: ChallengeCheckInRow, *, user: ParticipantOut | None = None) -> ChallengeCheckInOut:
        return cls(
            id=row.id,
            challenge_id=row.challenge_id,
            user_id=row.user_id,
            check_in_date=row.check_in_date,
            notes=row.notes,
            mood=row.mood,
            photo_url=row.photo_url,
            points_awarded=row.points_awarded,
            completed=True,
            is_checked_in=True,
            created_at=row.created_at,
            updated_at=row.updated_at,
            user=user,
        )

    @classmethod
    def listed(cls, item: ListedCheckIn, *, viewer: UUID) -> ChallengeCheckInOut:
        """A row of the challenge's list: notes, mood and photo only on the viewer's own check-ins."""
        row = item.row
        user = ParticipantOut(row.user_id, item.name, item.username, item.profile_picture_url)
        shown = cls.of(row, user=user)
        if row.user_id == viewer:
            return shown
        return msgspec.structs.replace(shown, notes=None, mood=None, photo_url=None)


class ChallengeCheckInResultOut(msgspec.Struct):
    """The answer to a check-in: the row, the points it earned, the new total and the derived rank."""

    id: UUID
    challenge_id: UUID
    user_id: UUID
    check_in_date: date
    notes: str | None
    mood: str | None
    photo_url: str | None
    completed: bool
    is_checked_in: bool
    created_at: datetime
    updated_at: datetime
    points_earned: int
    new_total_points: int
    new_rank: int

    @classmethod
    def of(cls, recorded: RecordedCheckIn) -> ChallengeCheckInResultOut:
        row = recorded.row
        return cls(
            id=row.id,
            challenge_id=row.challenge_id,
            user_id=row.user_id,
            check_in_date=row.check_in_date,
            notes=row.notes,
            mood=row.mood,
            photo_url=row.photo_url,
            completed=True,
            is_checked_in=True,
            created_at=row.created_at,
            updated_at=row.updated_at,
            points_earned=row.points_awarded,
            new_total_points=recorded.total_points,
            new_rank=recorded.rank,
        )


class CheckInDeletedOut(msgspec.Struct):
    message: str
    check_in_id: UUID
    points_deducted: int
    remaining_check_ins: int


class LeaderboardEntryOut(msgspec.Struct):
    user_id: UUID
    rank: int
    points: int
    total_check_ins: int
    last_check_in: date | None
    joined_at: datetime
    user: ParticipantOut

    @classmethod
    def of(cls, entry: LeaderboardEntry) -> LeaderboardEntryOut:
        return cls(
            user_id=entry.user_id,
            rank=entry.rank,
            points=entry.points,
            total_check_ins=entry.total_check_ins,
            last_check_in=entry.last_check_in,
            joined_at=entry.joined_at,
            user=ParticipantOut(entry.user_id, entry.name, entry.username, entry.profile_picture_url),
        )
