"""The daily motivation's text from the model (docs client-behaviour §5): the prompt of
domain/daily_motivation.py, the answer checked by its rules; None means "use the template"."""

from __future__ import annotations

from domain.daily_motivation import (
    MAX_TOKENS,
    TEMPERATURE,
    MotivationSubject,
    accepted_motivation,
    motivation_prompt,
)
from services.ai.model import AiFeature, ChatPrompt, TextModel

__all__ = ["write_motivation"]


async def write_motivation(
    model: TextModel, subject: MotivationSubject, *, deadline_seconds: float | None = None
) -> str | None:
    """The model's motivation for `subject`, or None when there is none or it breaks the rules."""
    prompt = motivation_prompt(subject)
    text = await model.complete(
        ChatPrompt(
            AiFeature.DAILY_MOTIVATION,
            system=prompt.system,
            user=prompt.user,
            temperature=TEMPERATURE,
            max_tokens=MAX_TOKENS,
            deadline_seconds=deadline_seconds,
        )
    )
    return accepted_motivation(text)
