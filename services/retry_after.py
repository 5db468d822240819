"""Reading an HTTP `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime

__all__ = ["retry_after_seconds"]

_SECONDS = re.compile(r"\d+(\.\d+)?")


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds the server asked us to wait from `now`, or None when the header is absent or unreadable.
    A date in the past means "now" (0)."""
    if value is None:
        return None
    text = value.strip()
    # Whole seconds per the RFC; some servers (OpenAI among them) send a fraction.
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        instant = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if instant.tzinfo is None:
        return None
    return max(0.0, (instant - now).total_seconds())
