"""Bodies of /notifications: the Notification and Preferences shapes of docs/domain.md §5, analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.structs import struct_from_row
from db.notification_inbox import InboxRow
from domain.local_time import format_hhmm
from domain.notification_gate import NotificationPreferences

# "HH:MM" (or "HH:MM:SS", cut to minutes); the exact format is checked by domain.local_time.parse_hhmm.
TimeOfDay = Annotated[str, Meta(max_length=8)]


class SuccessOut(msgspec.Struct):
    success: bool = True


class NotificationOut(msgspec.Struct):
    id: UUID
    notification_type: str
    title: str
    body: str
    data: dict[str, Any]
    sent_at: datetime
    delivered_at: datetime | None
    opened_at: datetime | None
    entity_type: str | None
    entity_id: UUID | None
    created_at: datetime

    @classmethod
    def of(cls, row: InboxRow) -> NotificationOut:
        return struct_from_row(cls, row)


class MarkAllOpenedOut(msgspec.Struct):
    updated_count: int
    success: bool = True


class CategoryStatsOut(msgspec.Struct):
    sent: int
    opened: int
    open_rate: float


class AnalyticsOut(msgspec.Struct):
    total_sent: int
    total_opened: int
    open_rate: float
    by_category: dict[str, CategoryStatsOut]


class PreferencesOut(msgspec.Struct):
    enabled: bool
    push_notifications: bool
    email_notifications: bool
    ai_motivation: bool
    reminders: bool
    achievements: bool
    reengagement: bool
    weekly_recap: bool
    partners: bool
    challenges: bool
    quiet_hours_enabled: bool
    quiet_hours_start: str
    quiet_hours_end: str

    @classmethod
    def of(cls, preferences: NotificationPreferences) -> PreferencesOut:
        return struct_from_row(
            cls,
            preferences,
            quiet_hours_start=format_hhmm(preferences.quiet_hours_start),
            quiet_hours_end=format_hhmm(preferences.quiet_hours_end),
        )


class PreferencesUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset of the Preferences fields; a field left out keeps its value (null is refused)."""

    enabled: bool | UnsetType = UNSET
    push_notifications: bool | UnsetType = UNSET
    email_notifications: bool | UnsetType = UNSET
    ai_motivation: bool | UnsetType = UNSET
    reminders: bool | UnsetType = UNSET
    achievements: bool | UnsetType = UNSET
    reengagement: bool | UnsetType = UNSET
    weekly_recap: bool | UnsetType = UNSET
    partners: bool | UnsetType = UNSET
    challenges: bool | UnsetType = UNSET
    quiet_hours_enabled: bool | UnsetType = UNSET
    quiet_hours_start: TimeOfDay | UnsetType = UNSET
    quiet_hours_end: TimeOfDay | UnsetType = UNSET
