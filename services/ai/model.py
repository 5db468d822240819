"""What a feature asks of the language model, and the one answer it gets back: the text, or None.

Every feature (reminders, check-in replies, daily motivation, weekly recaps, goal insights, the coach)
builds a `ChatPrompt` and awaits `TextModel.complete`. None means "use your template": no model is
configured, the shared budget is spent, or every bounded attempt failed. Validating the text (length,
JSON shape, emoji) is the feature's job, against its own rules in domain/; a text that fails validation
falls back to the template too, so a notice is never lost to the model (docs/domain.md §3.12).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = ["NO_MODEL", "AiFeature", "ChatPrompt", "NoModel", "TextModel"]


class AiFeature(StrEnum):
    """Who asked: tokens and calls are counted per feature."""

    REMINDER = "reminder"
    CHECKIN_REPLY = "checkin_reply"
    DAILY_MOTIVATION = "daily_motivation"
    WEEKLY_RECAP = "weekly_recap"
    GOAL_INSIGHTS = "goal_insights"
    COACH = "coach"


@dataclass(frozen=True, slots=True)
class ChatPrompt:
    feature: AiFeature
    system: str
    user: str
    temperature: float
    max_tokens: int
    # Ask for one JSON object (response_format json_object); the text returned is still unparsed.
    json_output: bool = False
    # Seconds the whole call may take, retries included; None = the client's default.
    deadline_seconds: float | None = None


class TextModel(Protocol):
    async def complete(self, prompt: ChatPrompt) -> str | None:
        """The model's text, or None: the caller then uses its template."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP connections (process shutdown)."""
        ...


class NoModel:
    """No model configured (no OPENAI_API_KEY): nothing calls out, every text is a template."""

    async def complete(self, prompt: ChatPrompt) -> str | None:
        return None

    async def aclose(self) -> None:
        return None


NO_MODEL = NoModel()
