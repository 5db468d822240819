"""The value every copy builder returns, and small formatting rules shared by them."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID

from domain.notification_types import EntityType, IosCategory, NotificationType

__all__ = ["NotificationContent", "clip", "human_date", "iso_instant"]


@dataclass(frozen=True, slots=True)
class NotificationContent:
    """What an inbox row holds (type, title, body, data, entity) plus the iOS category of the push.

    ``data`` is JSON-ready: ids are strings, instants ISO 8601 in UTC.
    """

    notification_type: NotificationType
    title: str
    body: str
    data: dict[str, object] = field(default_factory=dict)
    entity_type: EntityType | None = None
    entity_id: UUID | None = None
    ios_category: IosCategory | None = None

    def __post_init__(self) -> None:
        if (self.entity_type is None) != (self.entity_id is None):
            raise ValueError("entity_type and entity_id are both set or both None")
        if "type" not in self.data or "deepLink" not in self.data:
            raise ValueError("data needs 'type' and 'deepLink'")
        if not self.title.strip() or not self.body.strip():
            raise ValueError("title and body must not be empty")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def iso_instant(instant: datetime) -> str:
    """An aware instant as ISO 8601 in UTC with a ``Z`` suffix, e.g. ``2025-03-05T10:00:00Z``."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def human_date(day: date) -> str:
    """A date as people read it in a notice: "March 5"."""
    return f"{day:%B} {day.day}"
