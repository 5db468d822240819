"""Daily motivations (docs client-behaviour §5): the background styles and their gradients, the model's
prompt, what a written text must satisfy, and the line a user gets when the model gives none.

One row per user and local date. Its text comes from the model (gpt-4o-mini, temperature 0.9, at most
100 tokens) in the user's tone (users.motivation_style), addressed by first name ("there" without one),
about their active goals and best current streak; a text that is empty, too long, or carries a hashtag,
an emoji or a time-of-day greeting is refused, and the style's fixed line is used instead.
"""

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.ai_free_text import has_hashtag, leaks_structure
from domain.ai_text import clean_text
from domain.motivation_style import MotivationStyle, first_name, motivation_style_of

__all__ = [
    "BACKGROUND_COLORS",
    "DEFAULT_BACKGROUND_STYLE",
    "GOALS_IN_PROMPT",
    "MAX_TOKENS",
    "MOTIVATION_MAX_LENGTH",
    "MOTIVATION_TEMPLATES",
    "NAME_WHEN_NONE",
    "REGENERATIONS_PER_DAY",
    "TEMPERATURE",
    "BackgroundStyle",
    "MotivationPrompt",
    "MotivationSubject",
    "accepted_motivation",
    "background_colors",
    "motivation_prompt",
    "pick_background_style",
    "template_motivation",
]

TEMPERATURE: Final = 0.9
MAX_TOKENS: Final = 100
# About 50 words are asked for (about 300 characters); 100 tokens are about 400.
MOTIVATION_MAX_LENGTH: Final = 400
GOALS_IN_PROMPT: Final = 3
NAME_WHEN_NONE: Final = "there"
# Premium's regenerations per local day (unlimited_text_motivation): enough for anyone looking for
# a line they like, and a bound on what one account can spend on the model.
REGENERATIONS_PER_DAY: Final = 10


class BackgroundStyle(StrEnum):
    GRADIENT_SUNSET = "gradient_sunset"
    GRADIENT_MOUNTAIN = "gradient_mountain"
    GRADIENT_OCEAN = "gradient_ocean"
    GRADIENT_FOREST = "gradient_forest"
    GRADIENT_PURPLE = "gradient_purple"
    GRADIENT_PINK = "gradient_pink"
    GRADIENT_FIRE = "gradient_fire"
    GRADIENT_ICE = "gradient_ice"


DEFAULT_BACKGROUND_STYLE: Final = BackgroundStyle.GRADIENT_SUNSET

_G = BackgroundStyle
# Always sent with the row: the client's own fallback map lacks fire and ice.
BACKGROUND_COLORS: Final = MappingProxyType(
    {
        _G.GRADIENT_SUNSET: ("#FF9A9E", "#FECFEF", "#FECFEF"),
        _G.GRADIENT_MOUNTAIN: ("#E0C3FC", "#C8A8FF", "#9B7BFF"),
        _G.GRADIENT_OCEAN: ("#667EEA", "#764BA2", "#667EEA"),
        _G.GRADIENT_FOREST: ("#84FAB0", "#8FD3F4", "#84FAB0"),
        _G.GRADIENT_PURPLE: ("#A8EDEA", "#FED6E3", "#D299C2"),
        _G.GRADIENT_PINK: ("#FFECD2", "#FCB69F", "#FF9A9E"),
        _G.GRADIENT_FIRE: ("#F83600", "#FE8C00", "#F83600"),
        _G.GRADIENT_ICE: ("#00C9FF", "#92FE9D", "#00C9FF"),
    }
)


def background_colors(style: str) -> list[str]:
    """The gradient of `style`; a style this server does not know shows the default's gradient."""
    try:
        return list(BACKGROUND_COLORS[BackgroundStyle(style)])
    except ValueError:
        return list(BACKGROUND_COLORS[DEFAULT_BACKGROUND_STYLE])


def pick_background_style(
    *, instead_of: str | None = None, rng: random.Random | None = None
) -> BackgroundStyle:
    """A random style (from `rng`, else the module's generator); a regenerated motivation gets one other
    than the style it replaces."""
    choices = [style for style in BackgroundStyle if style != instead_of]
    return rng.choice(choices) if rng is not None else random.choice(choices)


_S = MotivationStyle

# The fallback: one fixed line per tone, addressed to the user.
MOTIVATION_TEMPLATES: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: (
            "{name}, every small step you take adds up to something real. Choose one thing you can do "
            "for your goals today and start it now."
        ),
        _S.TOUGH_LOVE: (
            "{name}, nobody is going to do this for you. Decide what today's win is, start on it now, "
            "and don't stop until it's done."
        ),
        _S.CALM: (
            "{name}, progress does not have to be loud. Take one steady step toward your goals today, "
            "and let that be enough."
        ),
    }
)

_TONES: Final = MappingProxyType(
    {
        _S.SUPPORTIVE: "warm and gentle, like a friend who believes in them",
        _S.TOUGH_LOVE: "direct and demanding, no excuses accepted",
        _S.CALM: "patient and philosophical, free of pressure",
    }
)


@dataclass(frozen=True, slots=True)
class MotivationSubject:
    """Whom a motivation is for: users.name and motivation_style, their active goals' titles (oldest
    first) and the best current streak among those goals."""

    name: str | None
    motivation_style: str | None
    goal_titles: Sequence[str]
    best_streak: int

    @property
    def addressed_as(self) -> str:
        return first_name(self.name, default=NAME_WHEN_NONE)


def template_motivation(subject: MotivationSubject) -> str:
    return MOTIVATION_TEMPLATES[motivation_style_of(subject.motivation_style)].format(
        name=subject.addressed_as
    )


@dataclass(frozen=True, slots=True)
class MotivationPrompt:
    system: str
    user: str


def motivation_prompt(subject: MotivationSubject) -> MotivationPrompt:
    tone = _TONES[motivation_style_of(subject.motivation_style)]
    system = (
        "You are FitNudge, an accountability coach. Write today's motivation for the user: 2 to 3 "
        f"sentences, about 50 words, addressed to {subject.addressed_as} by name. Refer to their goals "
        "or progress, be specific, and end on an action they can take today. "
        f"Tone: {tone}. No hashtags, no emoji, no greeting tied to the time of day. "
        "Reply with the motivation only."
    )
    titles = [title.strip() for title in subject.goal_titles[:GOALS_IN_PROMPT] if title.strip()]
    if not titles:
        facts = ["New user, just getting started"]
    else:
        facts = [f"Active goals: {', '.join(titles)}"]
        if subject.best_streak > 0:
            facts.append(f"Best current streak: {subject.best_streak} days")
    return MotivationPrompt(system=system, user=f"Name: {subject.addressed_as}\n" + "\n".join(facts))


_TIME_OF_DAY_GREETING: Final = re.compile(r"\bgood\s+(morning|afternoon|evening|night)\b", re.IGNORECASE)


def accepted_motivation(text: str | None) -> str | None:
    """The model's text as it will be stored (tidied, cut to MOTIVATION_MAX_LENGTH), or None when it
    breaks the rules: empty, an emoji, a hashtag, a time-of-day greeting, leaked JSON or markup. None
    means the template."""
    shown = clean_text(text, MOTIVATION_MAX_LENGTH, max_emoji=0)
    if shown is None or has_hashtag(shown) or leaks_structure(shown) or _TIME_OF_DAY_GREETING.search(shown):
        return None
    return shown
