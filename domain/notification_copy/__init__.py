"""Texts and data payloads of every notice the producers write (§3.10, §3.12).

Each builder returns a :class:`NotificationContent` whose ``data`` keys match the §3.10 table
exactly; the client routes on them. Modules are split by the feature that produces the notice.
"""

from domain.notification_copy.content import NotificationContent

__all__ = ["NotificationContent"]
