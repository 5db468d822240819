"""The check-in reply from the model (§3.12): the prompt of domain/checkin_ai_reply.py, the answer
checked by its rules; None means "keep the template"."""

from __future__ import annotations

from domain.checkin_ai_reply import MAX_TOKENS, TEMPERATURE, AnsweredCheckIn, accepted_reply, reply_prompt
from services.ai.model import AiFeature, ChatPrompt, TextModel

__all__ = ["write_checkin_reply"]


async def write_checkin_reply(model: TextModel, checkin: AnsweredCheckIn) -> str | None:
    prompt = reply_prompt(checkin)
    text = await model.complete(
        ChatPrompt(
            AiFeature.CHECKIN_REPLY,
            system=prompt.system,
            user=prompt.user,
            temperature=TEMPERATURE,
            max_tokens=MAX_TOKENS,
        )
    )
    return accepted_reply(text)
