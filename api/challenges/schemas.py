"""Request and response bodies of /challenges (the Challenge, ChallengeDetail and Invite shapes of
docs/domain.md §5, as the 1870506 client reads them).

Shapes and bounds are checked here (422): every number is bounded so that no value reaches PostgreSQL
out of its column's range. The rules on values (dates against the creator's today, extend-only edits,
reminder times) are domain.challenge_rules' (400).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from domain.challenge_rules import MAX_DURATION_DAYS

Title = Annotated[str, Meta(max_length=200)]
Description = Annotated[str, Meta(max_length=2000)]
Category = Annotated[str, Meta(max_length=50)]
DurationDays = Annotated[int, Meta(ge=1, le=MAX_DURATION_DAYS)]
MaxParticipants = Annotated[int, Meta(ge=2, le=100_000)]
TargetCheckins = Annotated[int, Meta(ge=1, le=10_000)]
TargetDays = Annotated[int, Meta(ge=1, le=7)]
DaysOfWeek = Annotated[list[Annotated[int, Meta(ge=0, le=6)]], Meta(max_length=7)]
# "HH:MM" or "HH:MM:SS", checked by domain.local_time.parse_hhmm (422); more than 5 distinct is a rule.
ReminderTimes = Annotated[list[Annotated[str, Meta(max_length=8)]], Meta(max_length=24)]
# The client's own notes on a challenge, kept flat and small; the server's keys are written apart.
Metadata = Annotated[
    dict[
        Annotated[str, Meta(max_length=50)], Annotated[str, Meta(max_length=500)] | int | float | bool | None
    ],
    Meta(max_length=20),
]
Reason = Annotated[str, Meta(max_length=500)]
ChallengeTypeName = Literal["streak", "checkin_count"]
Frequency = Literal["daily", "weekly", "custom"]
TrackingType = Literal["workout", "meal", "hydration", "checkin"]


class ChallengeCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    challenge_type: ChallengeTypeName
    duration_days: DurationDays
    start_date: date
    description: Description | None = None
    end_date: date | None = None
    is_public: bool = True
    max_participants: MaxParticipants | None = None
    join_deadline: date | None = None
    category: Category | None = None
    frequency: Frequency = "daily"
    days_of_week: DaysOfWeek | None = None
    target_days: TargetDays | None = None
    target_checkins: TargetCheckins | None = None
    tracking_type: TrackingType | None = None
    reminder_times: ReminderTimes | None = None
    metadata: Metadata | None = None


class ChallengeEditIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset; a field left out is unchanged. null clears the description and makes the
    participant limit unlimited (a raise)."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    join_deadline: date | UnsetType = UNSET
    max_participants: MaxParticipants | UnsetType | None = UNSET
    reminder_times: ReminderTimes | UnsetType = UNSET


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: UUID


class ChallengeOut(msgspec.Struct):
    id: UUID
    title: str
    description: str | None
    challenge_type: str
    duration_days: int
    start_date: date
    end_date: date
    join_deadline: date | None
    is_public: bool
    status: str
    max_participants: int | None
    created_by: UUID | None
    creator_id: UUID | None  # the client's name for created_by
    category: str | None
    frequency: str
    days_of_week: list[int] | None
    target_days: int | None
    target_checkins: int | None
    reminder_times: list[str]
    tracking_type: str
    metadata: dict[str, Any]
    cancelled_reason: str | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ChallengeSummaryOut(ChallengeOut):
    """A list entry: the challenge with the caller's place in it (/challenges/my's fields)."""

    target_value: int
    participants_count: int
    is_creator: bool
    is_participant: bool
    my_progress: int | None  # my points
    my_rank: int | None


class UserRefOut(msgspec.Struct):
    id: UUID
    name: str | None
    username: str | None
    profile_picture_url: str | None


class ChallengeDetailOut(ChallengeSummaryOut):
    creator: UserRefOut | None
    is_partner_view: bool


class JoinOut(msgspec.Struct):
    id: UUID
    challenge_id: UUID
    user_id: UUID
    joined_at: datetime
    completed_at: datetime | None
    points: int
    rank: int


class MessageOut(msgspec.Struct):
    message: str


class CancelOut(msgspec.Struct):
    message: str
    challenge_id: UUID
    participants_affected: int


class ParticipantOut(msgspec.Struct):
    id: UUID
    challenge_id: UUID
    user_id: UUID
    joined_at: datetime
    points: int
    rank: int
    user: UserRefOut


class InviteSentOut(msgspec.Struct):
    message: str
    invite_id: UUID


class InviteLinkOut(msgspec.Struct):
    invite_code: str
    invite_link: str
    expires_in_days: int


class ChallengeRefOut(msgspec.Struct):
    id: UUID
    title: str


class JoinedOut(msgspec.Struct):
    message: str
    challenge: ChallengeRefOut


class InviteChallengeOut(msgspec.Struct):
    id: UUID
    title: str
    description: str | None
    start_date: date
    end_date: date
    is_public: bool
    challenge_type: str
    status: str


class InviteOut(msgspec.Struct, omit_defaults=True):
    """A received invite names its inviter, a sent one its invitee (absent for an unused link)."""

    id: UUID
    challenge_id: UUID
    invited_by_user_id: UUID
    invited_user_id: UUID | None
    invite_code: str | None
    status: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    challenge: InviteChallengeOut
    inviter: UserRefOut | None = None
    invitee: UserRefOut | None = None
