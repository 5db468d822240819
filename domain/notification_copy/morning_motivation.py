"""The morning motivation notice (ai_motivation with data.type goal_prep; §3.10, §3.11)."""

from collections.abc import Sequence
from types import MappingProxyType
from typing import Final, NamedTuple
from uuid import UUID

from domain.motivation_style import MotivationStyle, first_name, motivation_style_of
from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent
from domain.notification_types import EntityType, NotificationType

__all__ = ["MORNING_GOALS_LISTED", "MorningGoal", "morning_motivation_notification"]

# Several goals are listed by title up to this many, then "(+k more)".
MORNING_GOALS_LISTED = 3


class MorningGoal(NamedTuple):
    """A goal scheduled today, in the order the notice should list it."""

    goal_id: UUID
    title: str
    current_streak: int


_S = MotivationStyle

_TITLES: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: "Good morning, {name} ☀️",
        _S.TOUGH_LOVE: "Up and at it, {name}",
        _S.CALM: "Good morning, {name}",
    }
)
_ONE_GOAL_ON_STREAK: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: "Today: {goal}. You're on a {streak}-day streak, keep it glowing!",
        _S.TOUGH_LOVE: "Today: {goal}. {streak}-day streak on the line. Protect it.",
        _S.CALM: "Today: {goal}. {streak} days in a row so far; one more, gently.",
    }
)
_ONE_GOAL_FRESH: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: "Today: {goal}. A fresh start, and day one of your streak is waiting!",
        _S.TOUGH_LOVE: "Today: {goal}. No streak yet. Start one today.",
        _S.CALM: "Today: {goal}. A fresh start; one small step is enough.",
    }
)


def _goal_list(goals: Sequence[MorningGoal]) -> str:
    listed = ", ".join(goal.title.strip() for goal in goals[:MORNING_GOALS_LISTED])
    more = len(goals) - MORNING_GOALS_LISTED
    suffix = f" (+{more} more)" if more > 0 else ""
    return f"{len(goals)} goals today: {listed}{suffix}"


def morning_motivation_notification(
    goals: Sequence[MorningGoal], name: str | None, style: str | None
) -> NotificationContent:
    """One goal: names it and its streak, entity and goalId set. Several: "N goals today: a, b, c (+k more)",
    no entity, deep link home. Needs at least one goal (no goal scheduled today → no notice)."""
    if not goals:
        raise ValueError("the morning notice needs at least one goal scheduled today")
    voice = motivation_style_of(style)
    title = _TITLES[voice].format(name=first_name(name))
    if len(goals) > 1:
        return NotificationContent(
            notification_type=NotificationType.AI_MOTIVATION,
            title=title,
            body=_goal_list(goals),
            data={"type": "goal_prep", "deepLink": deep_links.HOME},
        )
    goal = goals[0]
    template = _ONE_GOAL_ON_STREAK[voice] if goal.current_streak > 0 else _ONE_GOAL_FRESH[voice]
    return NotificationContent(
        notification_type=NotificationType.AI_MOTIVATION,
        title=title,
        body=template.format(goal=goal.title.strip(), streak=goal.current_streak),
        data={
            "type": "goal_prep",
            "goalId": str(goal.goal_id),
            "deepLink": deep_links.goal_details(goal.goal_id),
        },
        entity_type=EntityType.GOAL,
        entity_id=goal.goal_id,
    )
