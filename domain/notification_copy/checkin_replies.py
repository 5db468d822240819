"""Template replies to a check-in, per style × status × streak band (§3.2, §3.12).

Free users always get these; premium users get them when the AI is slow or wrong.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.motivation_style import MotivationStyle, first_name, motivation_style_of
from domain.streaks import AnswerStatus

__all__ = ["CHECKIN_REPLIES", "StreakBand", "checkin_reply", "reply_streak", "streak_band"]


class StreakBand(StrEnum):
    STARTING = "starting"  # 0–2 days
    BUILDING = "building"  # 3–6 days
    STRONG = "strong"  # 7–29 days
    LEGENDARY = "legendary"  # 30 days and more


def streak_band(streak: int) -> StreakBand:
    if streak >= 30:
        return StreakBand.LEGENDARY
    if streak >= 7:
        return StreakBand.STRONG
    if streak >= 3:
        return StreakBand.BUILDING
    return StreakBand.STARTING


def reply_streak(status: str, streak_before_answer: int) -> int:
    """The streak a reply talks about: the new streak after a completion, the kept one on a rest day,
    the lost one on a skip."""
    return (
        streak_before_answer + 1 if AnswerStatus(status) is AnswerStatus.COMPLETED else streak_before_answer
    )


_S, _A, _B = MotivationStyle, AnswerStatus, StreakBand

# Placeholders: {name}, {goal}, {streak}. The STARTING band avoids {streak} (it may be 0).
CHECKIN_REPLIES: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: {
            _A.COMPLETED: {
                _B.STARTING: "Yes, {name}! {goal} is done. Every streak starts exactly like this 🌱",
                _B.BUILDING: "{streak} days of {goal} in a row, {name}! You're building something real.",
                _B.STRONG: "{streak}-day streak on {goal}! I'm so proud of how you keep showing up, {name}.",
                _B.LEGENDARY: "{streak} days, {name}! {goal} is part of who you are now. Amazing 💛",
            },
            _A.REST_DAY: {
                _B.STARTING: "Rest is part of the plan, {name}. {goal} will be here tomorrow.",
                _B.BUILDING: "Enjoy the rest, {name}. Your {streak}-day run on {goal} stays safe.",
                _B.STRONG: "Well-earned rest, {name}. {streak} days on {goal} and still going strong.",
                _B.LEGENDARY: "Recharge, {name}. A {streak}-day streak on {goal} deserves a good rest.",
            },
            _A.SKIPPED: {
                _B.STARTING: "Thanks for being honest, {name}. Tomorrow is a fresh chance for {goal}.",
                _B.BUILDING: "That's okay, {name}. You did {streak} days of {goal} once; you can again.",
                _B.STRONG: "A {streak}-day run on {goal} shows what you can do, {name}. Go again tomorrow.",
                _B.LEGENDARY: "{streak} days of {goal} are still yours, {name}. One skip won't erase them.",
            },
        },
        _S.TOUGH_LOVE: {
            _A.COMPLETED: {
                _B.STARTING: "Done. Good, {name}. Now do {goal} again tomorrow. That's how streaks start.",
                _B.BUILDING: "{streak} days of {goal}. Solid, {name}. Don't get comfortable.",
                _B.STRONG: "{streak}-day streak, {name}. This is discipline. Keep {goal} non-negotiable.",
                _B.LEGENDARY: "{streak} days of {goal}. Elite, {name}. Now defend it.",
            },
            _A.REST_DAY: {
                _B.STARTING: "Rest logged, {name}. Make sure it's recovery, not an excuse. {goal} tomorrow.",
                _B.BUILDING: "Rest noted. Your {streak}-day streak on {goal} waits for you tomorrow, {name}.",
                _B.STRONG: "Take the rest, {name}. {streak} days earned it. Back on {goal} tomorrow.",
                _B.LEGENDARY: "{streak} days in, you've earned a rest, {name}. Then straight back to {goal}.",
            },
            _A.SKIPPED: {
                _B.STARTING: "Skipped, {name}. Own it, then do {goal} tomorrow. No more passes.",
                _B.BUILDING: "That ends a {streak}-day run, {name}. Get back on {goal} tomorrow.",
                _B.STRONG: "You threw away {streak} days, {name}. Rebuild it, starting tomorrow with {goal}.",
                _B.LEGENDARY: "{streak} days gone, {name}. Bounce back like a champion: {goal} tomorrow.",
            },
        },
        _S.CALM: {
            _A.COMPLETED: {
                _B.STARTING: "{goal} done, {name}. Notice how that feels. A quiet beginning 🍃",
                _B.BUILDING: "{streak} days with {goal}, {name}. Steady and unhurried.",
                _B.STRONG: "{streak} days of {goal}. Let yourself appreciate this rhythm, {name}.",
                _B.LEGENDARY: "{streak} days, {name}. {goal} has become a calm, natural part of your days.",
            },
            _A.REST_DAY: {
                _B.STARTING: "Resting is wise, {name}. {goal} can wait until you're ready.",
                _B.BUILDING: "A pause, {name}. Your {streak} days with {goal} rest with you.",
                _B.STRONG: "Rest well, {name}. {streak} days of {goal} is a steady foundation.",
                _B.LEGENDARY: "A restful day, {name}. {streak} days of {goal} give you plenty to stand on.",
            },
            _A.SKIPPED: {
                _B.STARTING: "That's alright, {name}. Let today go; {goal} will be there tomorrow.",
                _B.BUILDING: "No judgement, {name}. {streak} days happened; you can begin again with {goal}.",
                _B.STRONG: "{streak} days still count, {name}. Breathe, and return to {goal} when you can.",
                _B.LEGENDARY: "{streak} days remain part of your story, {name}. Begin {goal} again gently.",
            },
        },
    }
)


def checkin_reply(
    style: str | None, status: str, streak_before_answer: int, *, name: str | None, goal_title: str
) -> str:
    """The template reply stored in check_ins.ai_response (unknown style → supportive).

    ``streak_before_answer`` is the goal's current streak before this answer was applied.
    """
    streak = reply_streak(status, streak_before_answer)
    template = CHECKIN_REPLIES[motivation_style_of(style)][AnswerStatus(status)][streak_band(streak)]
    return template.format(name=first_name(name), goal=goal_title.strip(), streak=streak)
