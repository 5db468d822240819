"""Request and response bodies of /partners (the Partner shapes of docs/domain.md §5, with the
client's additions: `partner.has_partner_feature`, the dashboard's flag inside `partner` too)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

ReportReason = Literal["inappropriate_username", "harassment", "spam", "other"]
ReportDetails = Annotated[str, Meta(max_length=1000)]
# The app may send a note with a request; it is not stored (§5).
IgnoredMessage = Annotated[str, Meta(max_length=1000)]


class PartnerRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    partner_user_id: UUID
    message: IgnoredMessage | None = None


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: ReportReason
    details: ReportDetails | None = None
    block_partner: bool = False


class MessageOut(msgspec.Struct):
    message: str


class ReportOut(msgspec.Struct, omit_defaults=True):
    message: str
    report_id: UUID | None = None
    blocked: bool | None = None


class PartnerUserOut(msgspec.Struct):
    id: UUID
    name: str
    username: str
    profile_picture_url: str | None
    is_active: bool
    has_partner_feature: bool


class TodayGoalOut(msgspec.Struct):
    id: UUID
    title: str
    logged_today: bool
    is_scheduled_today: bool


class PartnerOut(msgspec.Struct, omit_defaults=True):
    """One partnership as the caller sees it: `user_id` is the caller, `partner_user_id` the other
    user whichever of the two sent the request (`initiated_by_user_id` says who did)."""

    id: UUID
    user_id: UUID
    partner_user_id: UUID
    partner: PartnerUserOut
    status: str
    initiated_by_user_id: UUID
    created_at: datetime
    accepted_at: datetime | None
    expires_at: datetime | None
    has_active_items: bool
    # With include_today_goals only.
    overall_streak: int | None = None
    today_goals: list[TodayGoalOut] | None = None
    logged_today: bool | None = None


class PartnerLimitsOut(msgspec.Struct):
    has_feature: bool
    limit: int | None
    accepted_count: int
    pending_sent_count: int
    total_toward_limit: int
    can_send_request: bool


class FoundUserOut(msgspec.Struct, omit_defaults=True):
    id: UUID
    name: str
    username: str
    profile_picture_url: str | None
    last_active_at: datetime | None
    is_partner: bool
    has_pending_request: bool
    request_status: Literal["none", "sent", "received", "accepted"]
    partnership_id: UUID | None
    # Suggestions only.
    match_score: float | None = None
    match_reasons: list[str] | None = None
    matched_goals: list[str] | None = None


class FoundUsersOut(msgspec.Struct):
    users: list[FoundUserOut]
    total: int
    page: int
    limit: int
    has_more: bool
    next_cursor: str | None


class DashboardGoalOut(msgspec.Struct):
    id: UUID
    title: str
    status: str
    current_streak: int
    logged_today: bool
    frequency_type: str
    is_scheduled_today: bool


class DashboardChallengeOut(msgspec.Struct):
    """progress: the partner's check-ins so far, against target_value (§5)."""

    id: UUID
    title: str
    status: str
    progress: int
    target_value: int
    participants_count: int
    logged_today: bool


class PartnerDashboardOut(msgspec.Struct):
    partner: PartnerUserOut
    partnership_id: UUID
    partnership_created_at: datetime
    goals: list[DashboardGoalOut]
    challenges: list[DashboardChallengeOut]
    total_active_goals: int
    total_active_challenges: int
    overall_streak: int
    logged_today: bool
    has_scheduled_today: bool
    has_partner_feature: bool
