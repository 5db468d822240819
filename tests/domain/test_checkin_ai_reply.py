"""domain/checkin_ai_reply.py: the check-in reply's prompt (§3.12 inputs) and the rules the model's reply
must pass before it replaces the template."""

import pytest

from domain.checkin_ai_reply import REPLY_MAX_LENGTH, AnsweredCheckIn, accepted_reply, reply_prompt


def answered(**changes: object) -> AnsweredCheckIn:
    fields: dict[str, object] = {
        "status": "skipped",
        "mood": "tough",
        "skip_reason": "tired",
        "note": "long shift",
        "streak": 9,
        "goal_title": " Evening run ",
        "why_statement": "to sleep better",
        "motivation_style": "calm",
        "name": "Grace Hopper",
        **changes,
    }
    return AnsweredCheckIn(**fields)  # type: ignore[arg-type]


def test_the_prompt_carries_every_input_of_the_answer() -> None:
    prompt = reply_prompt(answered())
    assert "Grace" in prompt.system
    assert "mindful and free of pressure" in prompt.system
    assert prompt.user.splitlines() == [
        "Goal: Evening run",
        "Today they skipped it",
        "Reason for skipping: tired",
        "Mood: tough",
        "Their note: long shift",
        "Why the goal matters to them: to sleep better",
        "Streak before this skip: 9 days",
    ]


def test_the_prompt_leaves_out_what_the_answer_lacks_and_names_the_new_streak() -> None:
    prompt = reply_prompt(
        answered(status="completed", mood=None, skip_reason=None, note=None, why_statement=None, streak=10)
    )
    assert prompt.user.splitlines() == ["Goal: Evening run", "Today they completed it", "Streak now: 10 days"]
    assert "a warm friend" in reply_prompt(answered(motivation_style=None)).system


@pytest.mark.parametrize(
    "text",
    [None, "", "Great job 🎉🔥💪", "Nice one, Grace! #proud", "Sure! Here is your text: {not json"],
)
def test_a_reply_against_the_rules_keeps_the_template(text: str | None) -> None:
    assert accepted_reply(text) is None


def test_a_reply_with_two_emoji_is_kept_tidied_and_cut() -> None:
    assert (
        accepted_reply(" 'Rest well, Grace 🌙 you earned it 💤' ") == "Rest well, Grace 🌙 you earned it 💤"
    )
    cut = accepted_reply("Rest well, Grace. " * 40)
    assert cut is not None
    assert len(cut) <= REPLY_MAX_LENGTH
