"""domain/daily_motivation.py: styles and gradients (docs client-behaviour §5), the tone's template, the
prompt, and the rules a model's motivation must pass."""

import random

import pytest

from domain.daily_motivation import (
    BACKGROUND_COLORS,
    MOTIVATION_MAX_LENGTH,
    BackgroundStyle,
    MotivationSubject,
    accepted_motivation,
    background_colors,
    motivation_prompt,
    pick_background_style,
    template_motivation,
)

# client-behaviour §5, transcribed.
SPEC_GRADIENTS = {
    "gradient_sunset": ["#FF9A9E", "#FECFEF", "#FECFEF"],
    "gradient_mountain": ["#E0C3FC", "#C8A8FF", "#9B7BFF"],
    "gradient_ocean": ["#667EEA", "#764BA2", "#667EEA"],
    "gradient_forest": ["#84FAB0", "#8FD3F4", "#84FAB0"],
    "gradient_purple": ["#A8EDEA", "#FED6E3", "#D299C2"],
    "gradient_pink": ["#FFECD2", "#FCB69F", "#FF9A9E"],
    "gradient_fire": ["#F83600", "#FE8C00", "#F83600"],
    "gradient_ice": ["#00C9FF", "#92FE9D", "#00C9FF"],
}


def subject(**changes: object) -> MotivationSubject:
    fields: dict[str, object] = {
        "name": "Ada Lovelace",
        "motivation_style": "supportive",
        "goal_titles": ("Run", "Read", "Meditate", "Stretch"),
        "best_streak": 12,
        **changes,
    }
    return MotivationSubject(**fields)  # type: ignore[arg-type]


def test_every_style_has_the_specs_gradient() -> None:
    assert {style.value: background_colors(style) for style in BackgroundStyle} == SPEC_GRADIENTS
    assert set(BACKGROUND_COLORS) == set(BackgroundStyle)


def test_an_unknown_style_shows_the_default_gradient() -> None:
    assert background_colors("gradient_disco") == SPEC_GRADIENTS["gradient_sunset"]


def test_a_regenerated_style_differs_from_the_one_it_replaces_and_every_style_comes_up() -> None:
    rng = random.Random(7)
    picked = [pick_background_style(instead_of="gradient_ocean", rng=rng) for _ in range(400)]
    assert BackgroundStyle.GRADIENT_OCEAN not in picked
    assert set(picked) == set(BackgroundStyle) - {BackgroundStyle.GRADIENT_OCEAN}
    assert {pick_background_style(rng=rng) for _ in range(400)} == set(BackgroundStyle)


@pytest.mark.parametrize(
    ("name", "style", "start"),
    [
        ("Ada Lovelace", "supportive", "Ada, every small step"),
        ("Ada", "tough_love", "Ada, nobody is going to do this for you"),
        ("  ", "calm", "there, progress does not have to be loud"),
        ("Ada", "unknown", "Ada, every small step"),
    ],
)
def test_the_template_is_the_tones_line_addressed_by_first_name(name: str, style: str, start: str) -> None:
    line = template_motivation(subject(name=name, motivation_style=style))
    assert line.startswith(start)
    assert accepted_motivation(line) == line  # the fallback itself follows the rules


def test_the_prompt_names_the_user_their_first_three_goals_the_streak_and_the_tone() -> None:
    prompt = motivation_prompt(subject(motivation_style="tough_love"))
    assert "Ada" in prompt.system
    assert "no excuses" in prompt.system
    assert "No hashtags, no emoji, no greeting tied to the time of day" in prompt.system
    assert prompt.user == "Name: Ada\nActive goals: Run, Read, Meditate\nBest current streak: 12 days"


def test_the_prompt_of_a_user_without_goals_says_they_are_starting() -> None:
    prompt = motivation_prompt(subject(name="", goal_titles=(), best_streak=0))
    assert prompt.user == "Name: there\nNew user, just getting started"
    assert "Best current streak" not in motivation_prompt(subject(best_streak=0)).user


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "Keep going, Ada 💪 today is yours.",
        "Keep going, Ada. #consistency",
        "Good morning, Ada! Run today.",
        "Ada, good evening to you. Run now.",
        "Sure! Here is your text: {not json",
        "<p>Run today, Ada.</p>",
    ],
)
def test_a_motivation_against_the_rules_is_refused(text: str | None) -> None:
    assert accepted_motivation(text) is None


def test_a_motivation_is_tidied_and_a_long_one_cut() -> None:
    assert accepted_motivation('  "Ada, you ran 12 days.\n Run again today."  ') == (
        "Ada, you ran 12 days. Run again today."
    )
    cut = accepted_motivation("Ada, keep running today. " * 40)
    assert cut is not None
    assert len(cut) <= MOTIVATION_MAX_LENGTH
