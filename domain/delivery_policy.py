"""Delivery policy per notification category: how a push is treated when it cannot go out on time.

One place for it, so that the claim (db/push_deliveries.py) and later policies (what to do with an
ambiguous send, issue 12) read the same table. Today it says one thing per type: whether the notice
is *timed* — tied to the minute it was produced for ("time for your 18:00 run"), so that sending it
more than REMINDER_STALE_AFTER_MINUTES late would be out of context, and it is dropped instead (at
production by the jobs, at claim by the push worker). Every other notice is still worth delivering
late: a partner request, a badge, a billing notice mean the same at 23:00 as at 18:00.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from domain.notification_types import NotificationType

__all__ = ["POLICY_OF_TYPE", "TIMED_TYPES", "DeliveryPolicy"]


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    # Dropped, not sent, once more than the staleness bound past the instant it was produced for.
    timed: bool


_TIMED: Final = DeliveryPolicy(timed=True)
_LASTING: Final = DeliveryPolicy(timed=False)
_T = NotificationType

# The timed ones are the reminders of §3.11: AI motivations (the morning goal_prep included),
# check-in prompts and follow-ups (reminder) and adaptive nudges. By type, since every subtype of
# these three is produced for a due minute.
POLICY_OF_TYPE: Final[Mapping[NotificationType, DeliveryPolicy]] = MappingProxyType(
    {
        notification_type: _TIMED
        if notification_type in (_T.AI_MOTIVATION, _T.REMINDER, _T.ADAPTIVE_NUDGE)
        else _LASTING
        for notification_type in NotificationType
    }
)

TIMED_TYPES: Final[frozenset[NotificationType]] = frozenset(
    notification_type for notification_type, policy in POLICY_OF_TYPE.items() if policy.timed
)
