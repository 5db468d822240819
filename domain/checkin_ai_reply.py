"""The AI reply to a premium user's check-in (§3.12 "Check-in reply", feature ai_checkin_response).

The answer stores the template reply (domain/notification_copy/checkin_replies.py) at once; the model's
reply (gpt-4o-mini, temperature 0.8, at most 80 tokens) replaces it later when it passes
`accepted_reply`: not empty, short, at most two emoji.
"""

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from domain.ai_free_text import has_hashtag, leaks_structure
from domain.ai_text import clean_text
from domain.motivation_style import MotivationStyle, first_name, voice_of
from domain.streaks import AnswerStatus

__all__ = [
    "MAX_TOKENS",
    "REPLY_MAX_EMOJI",
    "REPLY_MAX_LENGTH",
    "TEMPERATURE",
    "AnsweredCheckIn",
    "ReplyPrompt",
    "accepted_reply",
    "reply_prompt",
]

TEMPERATURE: Final = 0.8
MAX_TOKENS: Final = 80
# "At most 40 words" is asked for (about 240 characters); 80 tokens are about 320.
REPLY_MAX_LENGTH: Final = 320
REPLY_MAX_EMOJI: Final = 2

_S = MotivationStyle
_STREAK_LINES: Final = MappingProxyType(
    {
        AnswerStatus.COMPLETED: "Streak now: {streak} days",
        AnswerStatus.REST_DAY: "Streak kept through the rest day: {streak} days",
        AnswerStatus.SKIPPED: "Streak before this skip: {streak} days",
    }
)
_STATUS_WORDS: Final = MappingProxyType(
    {
        AnswerStatus.COMPLETED: "completed it",
        AnswerStatus.REST_DAY: "took a planned rest day",
        AnswerStatus.SKIPPED: "skipped it",
    }
)


@dataclass(frozen=True, slots=True)
class AnsweredCheckIn:
    """What the reply is about. `streak` is the one the template talks about (reply_streak)."""

    status: str
    mood: str | None
    skip_reason: str | None
    note: str | None
    streak: int
    goal_title: str
    why_statement: str | None
    motivation_style: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class ReplyPrompt:
    system: str
    user: str


def reply_prompt(checkin: AnsweredCheckIn) -> ReplyPrompt:
    name = first_name(checkin.name)
    voice = voice_of(checkin.motivation_style)
    system = (
        f"You are FitNudge, an accountability coach replying to {name}'s check-in. Write a short "
        f"personal reply: 1 or 2 sentences, at most 40 words, using their name. Voice: {voice}. "
        "Respond to what they reported, mood and note included. At most 2 emoji, no hashtags. "
        "Reply with the message only."
    )
    status = AnswerStatus(checkin.status)
    facts = [f"Goal: {checkin.goal_title.strip()}", f"Today they {_STATUS_WORDS[status]}"]
    if checkin.skip_reason:
        facts.append(f"Reason for skipping: {checkin.skip_reason}")
    if checkin.mood:
        facts.append(f"Mood: {checkin.mood}")
    if checkin.note:
        facts.append(f"Their note: {checkin.note}")
    if checkin.why_statement:
        facts.append(f"Why the goal matters to them: {checkin.why_statement.strip()}")
    facts.append(_STREAK_LINES[status].format(streak=checkin.streak))
    return ReplyPrompt(system=system, user="\n".join(facts))


def accepted_reply(text: str | None) -> str | None:
    """The model's reply as it will be stored (tidied, cut to REPLY_MAX_LENGTH), or None when it is
    empty, has more than REPLY_MAX_EMOJI emoji, a hashtag, or leaked JSON or markup (the template
    stays)."""
    shown = clean_text(text, REPLY_MAX_LENGTH, max_emoji=REPLY_MAX_EMOJI)
    if shown is None or has_hashtag(shown) or leaks_structure(shown):
        return None
    return shown
