"""The AI coach's limits and input rules (docs/coach.md): message length, history cap, the daily quota
and the rewarded-ad bonus, and the reply languages the coach knows."""

from __future__ import annotations

from typing import Final

from domain.errors import InvalidInput

__all__ = [
    "BONUS_MESSAGES_PER_DAY",
    "DEFAULT_LANGUAGE",
    "HISTORY_CAP",
    "KNOWN_LANGUAGES",
    "MESSAGE_MAX_CHARS",
    "REWARD_MAX_AMOUNT",
    "REWARD_TYPE",
    "UNLIMITED_DAILY_MESSAGES",
    "coach_language",
    "daily_limit",
    "message_text",
    "plan_daily_messages",
    "remaining_messages",
]

# The app caps its input at 2000 characters and trims it; the server checks the same after trimming.
MESSAGE_MAX_CHARS: Final = 2000
# Messages kept per conversation: a new turn drops the oldest beyond this (the model reads only the
# last 20, and the app pages 50 at a time, so the dropped ones are never shown or sent).
HISTORY_CAP: Final = 100
# An unlimited plan value (NULL) counts as this many messages a day (client-behaviour §7.2).
UNLIMITED_DAILY_MESSAGES: Final = 9999
# Rewarded ads add at most this many bonus messages to one local day; one ad adds 1–5.
BONUS_MESSAGES_PER_DAY: Final = 10
REWARD_MAX_AMOUNT: Final = 5
REWARD_TYPE: Final = "ai_message"

DEFAULT_LANGUAGE: Final = "en"
# The ISO 639-1 codes the coach answers in; any other code gets English (client-behaviour §7.4).
KNOWN_LANGUAGES: Final = frozenset({"en", "es", "fr", "de", "pt", "it", "ja", "ko", "zh", "ar", "hi", "ru"})


def message_text(raw: str) -> str:
    """The message as stored: trimmed, 1–MESSAGE_MAX_CHARS characters (422 otherwise)."""
    text = raw.strip()
    if not text or len(text) > MESSAGE_MAX_CHARS:
        raise InvalidInput(
            f"message must be 1 to {MESSAGE_MAX_CHARS} characters after trimming",
            code="invalid_message_length",
        )
    return text


def coach_language(code: str | None) -> str:
    """The language the reply is written in: a known ISO 639-1 code (any case), else English."""
    normalized = (code or "").strip().lower()
    return normalized if normalized in KNOWN_LANGUAGES else DEFAULT_LANGUAGE


def plan_daily_messages(plan_value: int | None) -> int:
    """The plan's `ai_coach_chat` value as messages a day (NULL, unlimited, as UNLIMITED_DAILY_MESSAGES)."""
    return UNLIMITED_DAILY_MESSAGES if plan_value is None else plan_value


def daily_limit(plan_limit: int, bonus_messages: int) -> int:
    """Messages allowed on a local day: the plan's messages a day plus that day's rewarded-ad bonus."""
    return plan_limit + bonus_messages


def remaining_messages(limit: int, used: int) -> int:
    return max(0, limit - used)
