"""Delivery policy per notification category: how a push is treated when it cannot go out on time,
and when Expo may or may not have taken it. The claim (db/push_deliveries.py), the sender
(workers/push/delivery.py) and the sweeper (workers/push/sweep.py) all read this one table.

- **timed**: tied to the minute it was produced for ("time for your 18:00 run"); sent more than
  REMINDER_STALE_AFTER_MINUTES late it would be out of context, so it is dropped instead (at
  production by the jobs, at claim by the push worker) and retried only within that bound. Every
  other notice is still worth delivering late: a partner request, a badge, a billing notice mean the
  same at 23:00 as at 18:00.
- **resend_when_ambiguous**: what to do when a request may or may not have reached Expo (a timeout,
  reset or 504 after the request was written; a worker that died after entering the send). Expo has no
  idempotency key, so a resend can show the push twice: the app drops the duplicate by
  data.notification_id wherever it handles the notification itself (inbox, foreground), but an OS
  banner shown while the app was in the background cannot be taken back. So the default is at most
  once (recorded SendUnconfirmed, never resent), and at least once only where a missed push costs more
  than a second banner: requests and invitations that wait for the user's answer, and billing notices.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from domain.notification_types import NotificationType

__all__ = ["POLICY_OF_TYPE", "RESEND_WHEN_AMBIGUOUS_TYPES", "TIMED_TYPES", "DeliveryPolicy"]


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    # Dropped, not sent, once more than the staleness bound past the instant it was produced for.
    timed: bool
    # Sent again after an ambiguous outcome (at least once) instead of recorded SendUnconfirmed.
    resend_when_ambiguous: bool = False


_TIMED: Final = DeliveryPolicy(timed=True)
_LASTING: Final = DeliveryPolicy(timed=False)
_MUST_ARRIVE: Final = DeliveryPolicy(timed=False, resend_when_ambiguous=True)
_T = NotificationType
_AT_LEAST_ONCE: Final = frozenset(
    {_T.PARTNER_REQUEST, _T.PARTNER_ACCEPTED, _T.CHALLENGE_INVITE, _T.SUBSCRIPTION}
)

# The timed ones are the reminders of §3.11: AI motivations (the morning goal_prep included),
# check-in prompts and follow-ups (reminder) and adaptive nudges. By type, since every subtype of
# these three is produced for a due minute.
POLICY_OF_TYPE: Final[Mapping[NotificationType, DeliveryPolicy]] = MappingProxyType(
    {
        notification_type: _TIMED
        if notification_type in (_T.AI_MOTIVATION, _T.REMINDER, _T.ADAPTIVE_NUDGE)
        else _MUST_ARRIVE
        if notification_type in _AT_LEAST_ONCE
        else _LASTING
        for notification_type in NotificationType
    }
)

TIMED_TYPES: Final[frozenset[NotificationType]] = frozenset(
    notification_type for notification_type, policy in POLICY_OF_TYPE.items() if policy.timed
)

RESEND_WHEN_AMBIGUOUS_TYPES: Final[frozenset[NotificationType]] = frozenset(
    notification_type for notification_type, policy in POLICY_OF_TYPE.items() if policy.resend_when_ambiguous
)
