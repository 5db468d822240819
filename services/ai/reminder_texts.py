"""Goal reminder texts from the model (§3.12 "Reminder (ai_motivation)"): one call per reminder, all
of a chunk's calls at once, each answer validated; None where the template must be used.

Called only ahead of fire time (workers/jobs/reminder_texts.py), never on the send path, and never
inside a transaction: a database connection is not held while the model thinks.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from domain.notification_copy.reminders import ReminderText
from domain.reminder_ai_text import (
    REMINDER_MAX_TOKENS,
    REMINDER_TEMPERATURE,
    VARIETY_HINTS,
    ReminderPromptInputs,
    parse_reminder_text,
    reminder_prompt,
)
from services.ai.model import AiFeature, ChatPrompt, TextModel

__all__ = ["write_reminder_texts"]


def _prompt(inputs: ReminderPromptInputs, deadline_seconds: float) -> ChatPrompt:
    system, user = reminder_prompt(inputs, random.choice(VARIETY_HINTS))
    return ChatPrompt(
        feature=AiFeature.REMINDER,
        system=system,
        user=user,
        temperature=REMINDER_TEMPERATURE,
        max_tokens=REMINDER_MAX_TOKENS,
        json_output=True,
        deadline_seconds=deadline_seconds,
    )


async def write_reminder_texts(
    model: TextModel, reminders: Sequence[ReminderPromptInputs], *, deadline_seconds: float
) -> list[ReminderText | None]:
    """A text per reminder, in order; None where the model gave nothing usable within the deadline.

    The calls run concurrently; the client caps how many are in flight per process.
    """
    answers = await asyncio.gather(
        *(model.complete(_prompt(inputs, deadline_seconds)) for inputs in reminders)
    )
    return [parse_reminder_text(answer) if answer is not None else None for answer in answers]
