"""The gate: whether an inbox row is also pushed (§3.10, trap 23).

This is the executable spec of the gate; the SQL producers apply the same rules set-wise and the tests
compare them. Order: no preferences row → defaults; master switch; push channel; the type's category
switch; quiet hours. Transactional types (subscription) obey only the first two.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from domain.notification_types import SWITCH_OF_TYPE, TRANSACTIONAL_TYPES, NotificationType
from domain.quiet_hours import in_quiet_hours

__all__ = [
    "ADAPTIVE_NUDGES_PER_DAY",
    "ADAPTIVE_NUDGE_BLACKOUT_END",
    "ADAPTIVE_NUDGE_BLACKOUT_START",
    "NotificationPreferences",
    "SkipReason",
    "adaptive_nudge_allowed",
    "gate_skip_reason",
]

# Adaptive nudges never go out between 22:00 and 07:00 local, whatever the user's quiet hours (§3.10).
ADAPTIVE_NUDGE_BLACKOUT_START = time(22, 0)
ADAPTIVE_NUDGE_BLACKOUT_END = time(7, 0)
# … and at most this many per user per local day, once per sub-type (§3.10).
ADAPTIVE_NUDGES_PER_DAY = 3


class SkipReason(StrEnum):
    """notification_history.skip_reason. ``no_device`` is set by the producer, not by the gate."""

    DISABLED = "disabled"
    PUSH_OFF = "push_off"
    CATEGORY_OFF = "category_off"
    QUIET_HOURS = "quiet_hours"
    NO_DEVICE = "no_device"


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """A notification_preferences row; the defaults are what a missing row means (§2.5)."""

    enabled: bool = True
    push_notifications: bool = True
    email_notifications: bool = True
    ai_motivation: bool = True
    reminders: bool = True
    achievements: bool = True
    weekly_recap: bool = True
    reengagement: bool = True
    partners: bool = True
    challenges: bool = True
    quiet_hours_enabled: bool = False
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)

    def switch_is_on(self, notification_type: str) -> bool:
        """The category switch of ``notification_type`` (True for types without a switch)."""
        switch = SWITCH_OF_TYPE[NotificationType(notification_type)]
        return switch is None or bool(getattr(self, switch.value))


def gate_skip_reason(
    prefs: NotificationPreferences | None, notification_type: str, local_time: time
) -> SkipReason | None:
    """Why the push for this notice is skipped, or None when it goes out.

    ``local_time`` is the recipient's local time of day when the notice is produced. Raises ValueError
    for a type outside the catalogue.
    """
    kind = NotificationType(notification_type)
    prefs = prefs if prefs is not None else NotificationPreferences()
    if not prefs.enabled:
        return SkipReason.DISABLED
    if not prefs.push_notifications:
        return SkipReason.PUSH_OFF
    if kind in TRANSACTIONAL_TYPES:
        return None
    if not prefs.switch_is_on(kind):
        return SkipReason.CATEGORY_OFF
    if prefs.quiet_hours_enabled and in_quiet_hours(
        local_time, prefs.quiet_hours_start, prefs.quiet_hours_end
    ):
        return SkipReason.QUIET_HOURS
    return None


def adaptive_nudge_allowed(local_time: time, subtype: str, subtypes_sent_today: Collection[str]) -> bool:
    """The extra rule for adaptive nudges, checked before the gate: outside 22:00–07:00 local, at most
    three a local day, and each sub-type once a day. skip_reason has no value for these, so the
    producer simply does not create the notice."""
    if in_quiet_hours(local_time, ADAPTIVE_NUDGE_BLACKOUT_START, ADAPTIVE_NUDGE_BLACKOUT_END):
        return False
    sent = set(subtypes_sent_today)
    return subtype not in sent and len(sent) < ADAPTIVE_NUDGES_PER_DAY
