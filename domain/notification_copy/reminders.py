"""Reminder notices: the motivation at each reminder time (AI text or its template fallback) and the
check-in prompt and follow-up (§3.10, §3.11, §3.12)."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple
from uuid import UUID

from domain.motivation_style import MotivationStyle, first_name, motivation_style_of
from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent, clip
from domain.notification_types import EntityType, NotificationType

__all__ = [
    "REMINDER_BODY_MAX",
    "REMINDER_TEMPLATES",
    "REMINDER_TITLE_MAX",
    "ReminderItemType",
    "ReminderText",
    "checkin_followup_notification",
    "checkin_prompt_notification",
    "reminder_notification",
    "reminder_template",
]

# The AI's title and body are cut to these lengths; templates obey them too (§3.12).
REMINDER_TITLE_MAX = 50
REMINDER_BODY_MAX = 150


class ReminderItemType(StrEnum):
    GOAL = "goal"
    CHALLENGE = "challenge"


class ReminderText(NamedTuple):
    title: str
    body: str


_S = MotivationStyle

# Three per style, each naming the goal ({goal}) and the user ({name}); at most two emoji.
REMINDER_TEMPLATES: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: (
            ReminderText(
                "Your moment for {goal}",
                "Hey {name}, a little time for {goal} today adds up. "
                "I'm cheering for you every step of the way 💛",
            ),
            ReminderText(
                "Ready for {goal}?",
                "{name}, today's {goal} is one more promise kept to yourself. Let's do it together 🌱",
            ),
            ReminderText(
                "A friendly nudge: {goal}",
                "{name}, every check-in on {goal} builds the person you're becoming. Proud of you already!",
            ),
        ),
        _S.TOUGH_LOVE: (
            ReminderText(
                "{goal}. Now.", "{name}, no excuses today. {goal} won't do itself. Show up and get it done 💪"
            ),
            ReminderText(
                "Time to earn {goal}",
                "{name}, results come from reps, not plans. Go handle {goal} and prove it to yourself.",
            ),
            ReminderText(
                "{goal} is waiting on you",
                "{name}, the clock is ticking. Skip {goal} and you lose ground. Get moving 🔥",
            ),
        ),
        _S.CALM: (
            ReminderText(
                "A quiet moment for {goal}",
                "{name}, when you're ready, ease into {goal}. One mindful step is enough today 🍃",
            ),
            ReminderText(
                "{goal}, at your own pace",
                "Breathe, {name}. Give {goal} a little of your attention today, without any rush.",
            ),
            ReminderText(
                "Some space for {goal} today",
                "{name}, a few calm minutes with {goal} can settle the whole day. Be gentle with yourself.",
            ),
        ),
    }
)


def reminder_template(style: str | None, item_title: str, name: str | None, variant: int) -> ReminderText:
    """One of the three templates of ``style`` (unknown → supportive), filled with goal and name.

    ``variant`` picks the template (taken modulo 3) so the caller decides between random and stable.
    """
    templates = REMINDER_TEMPLATES[motivation_style_of(style)]
    template = templates[variant % len(templates)]
    values = {"goal": item_title.strip(), "name": first_name(name)}
    return ReminderText(template.title.format(**values), template.body.format(**values))


def reminder_notification(item_type: str, item_id: UUID, text: ReminderText) -> NotificationContent:
    """The ai_motivation notice at a reminder time of a goal or a challenge, from AI or template text."""
    kind = ReminderItemType(item_type)
    is_goal = kind is ReminderItemType.GOAL
    deep_link = deep_links.goal_details(item_id) if is_goal else deep_links.challenge_details(item_id)
    return NotificationContent(
        notification_type=NotificationType.AI_MOTIVATION,
        title=clip(text.title, REMINDER_TITLE_MAX),
        body=clip(text.body, REMINDER_BODY_MAX),
        data={"type": "ai_motivation", "itemType": kind.value, "itemId": str(item_id), "deepLink": deep_link},
        entity_type=EntityType.GOAL if is_goal else EntityType.CHALLENGE,
        entity_id=item_id,
    )


_PROMPTS: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: ReminderText(
            "How did {goal} go?", "{name}, did you get to {goal} today? Tap to check in, every answer counts."
        ),
        _S.TOUGH_LOVE: ReminderText(
            "Did you do {goal}?", "{name}, yes or no: did {goal} happen today? Check in and own it."
        ),
        _S.CALM: ReminderText(
            "A moment to reflect",
            "{name}, how did {goal} feel today? Take a breath and check in when you're ready.",
        ),
    }
)

_FOLLOWUPS: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: ReminderText(
            "Still time for {goal}",
            "{name}, no answer yet for {goal} today. There's still time, and I'm rooting for you.",
        ),
        _S.TOUGH_LOVE: ReminderText(
            "{goal}: still waiting",
            "{name}, the day's not over and {goal} is still open. Finish it or own the skip.",
        ),
        _S.CALM: ReminderText(
            "A gentle reminder",
            "{name}, {goal} is still waiting for today's check-in. "
            "Whatever happened is okay, just let us know.",
        ),
    }
)


def _checkin_notice(
    subtype: str,
    texts: Mapping[MotivationStyle, ReminderText],
    goal_id: UUID,
    goal_title: str,
    name: str | None,
    style: str | None,
) -> NotificationContent:
    template = texts[motivation_style_of(style)]
    values = {"goal": goal_title.strip(), "name": first_name(name)}
    return NotificationContent(
        notification_type=NotificationType.REMINDER,
        title=clip(template.title.format(**values), REMINDER_TITLE_MAX),
        body=clip(template.body.format(**values), REMINDER_BODY_MAX),
        data={
            "type": "reminder",
            "subtype": subtype,
            "goalId": str(goal_id),
            "deepLink": deep_links.goal_checkin(goal_id),
        },
        entity_type=EntityType.GOAL,
        entity_id=goal_id,
    )


def checkin_prompt_notification(
    goal_id: UUID, goal_title: str, name: str | None, style: str | None
) -> NotificationContent:
    """The prompt 30 minutes after the last reminder: did the goal get done today?"""
    return _checkin_notice("checkin_prompt", _PROMPTS, goal_id, goal_title, name, style)


def checkin_followup_notification(
    goal_id: UUID, goal_title: str, name: str | None, style: str | None
) -> NotificationContent:
    """The gentle second ask 2 h 30 min after the last reminder: still no answer."""
    return _checkin_notice("checkin_followup", _FOLLOWUPS, goal_id, goal_title, name, style)
