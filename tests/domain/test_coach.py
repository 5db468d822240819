"""domain/coach.py: the language rule, the title rules and the facts of the system prompt."""

from __future__ import annotations

from datetime import date

from domain.coach import (
    CoachFacts,
    FactGoal,
    FocusCheckIn,
    FocusGoal,
    accepted_title,
    fallback_title,
    language_name,
    system_prompt,
)

RUN = FactGoal("Run 5 km", "weekly", 3, current_streak=4, week_completions=2, why_statement="Feel strong")


def facts(**changes: object) -> CoachFacts:
    values: dict[str, object] = {
        "first_name": "Ada",
        "plan": "premium",
        "motivation_style": "tough_love",
        "goals": [RUN],
        "completed_30d": 15,
        "answered_30d": 20,
        "longest_streak": 9,
    }
    values.update(changes)
    return CoachFacts(**values)  # type: ignore[arg-type]


def test_known_languages_are_asked_for_and_anything_else_is_english() -> None:
    assert language_name("es") == "Spanish"
    assert language_name(" FR ") == "French"
    assert language_name("en") is None
    assert language_name("xx") is None
    assert language_name(None) is None


def test_the_prompt_holds_the_facts_the_voice_and_the_language() -> None:
    prompt = system_prompt(facts(), "de")

    assert "direct coach with urgency" in prompt  # tough_love's voice
    assert "Name: Ada. Plan: premium." in prompt
    assert "- Run 5 km (3x per week; streak 4; this week 2/3); why: Feel strong" in prompt
    assert "75% of 20 answered check-ins completed" in prompt
    assert "Longest streak: 9 days." in prompt
    assert prompt.endswith("Respond in German.")


def test_a_focus_goal_adds_its_schedule_and_last_check_ins_with_short_notes() -> None:
    focus = FocusGoal(
        goal=RUN,
        status="active",
        target_days=[1, 3, 5],
        reminder_times=["07:00"],
        created_on=date(2026, 1, 5),
        longest_streak=6,
        total_completions=40,
        checkins=[FocusCheckIn(date(2026, 3, 9), "completed", "great", "x" * 300)],
    )

    prompt = system_prompt(facts(focus=focus, goals=[]), "en")

    assert "No active goals yet." in prompt
    assert "3x per week on Mon, Wed, Fri, reminders at 07:00, status active" in prompt
    [line] = [line for line in prompt.splitlines() if line.startswith("- 2026-03-09")]
    assert line.startswith("- 2026-03-09: completed, mood great, note: ")
    assert len(line.split("note: ")[1]) <= 100
    assert "Respond in" not in prompt


def test_titles_keep_to_five_words_and_fifty_characters_else_the_first_sentence() -> None:
    assert accepted_title('"Sleeping earlier."') == "Sleeping earlier"
    assert accepted_title("one two three four five six") is None
    assert accepted_title("A" * 51) is None
    assert accepted_title("") is None
    assert accepted_title(None) is None
    assert fallback_title("How do I run more? I keep skipping.") == "How do I run more"
    assert len(fallback_title("word " * 30)) <= 40
