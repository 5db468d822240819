"""Blog rules: slugs, reading time and what publishing means (docs/api.md, "Blog")."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Final

SLUG_PATTERN: Final = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MAX_LENGTH: Final = 120
WORDS_PER_MINUTE: Final = 200

_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")


def slug_from(title: str) -> str:
    """A URL slug from a title: ASCII letters and digits joined by single hyphens ("" when none)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return _NOT_SLUG.sub("-", ascii_title).strip("-")[:SLUG_MAX_LENGTH].rstrip("-")


def reading_time_minutes(content: str) -> int:
    """Whole minutes at WORDS_PER_MINUTE, never below one (the app shows "N min read")."""
    return max(1, round(len(content.split()) / WORDS_PER_MINUTE))


def published_at_after(status: str, published_at: datetime | None, now: datetime) -> datetime | None:
    """A post keeps the instant it was first published; publishing it for the first time stamps now."""
    if status == "published" and published_at is None:
        return now
    return published_at
