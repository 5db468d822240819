import pytest

from domain.errors import (
    Conflict,
    DailyLimitReached,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PlanLimitReached,
    RuleBroken,
)

ALL = [RuleBroken, PlanLimitReached, NotFound, Forbidden, Conflict, DailyLimitReached, InvalidInput]


@pytest.mark.parametrize("error_class", ALL)
def test_errors_carry_a_default_code_and_the_detail(error_class: type[DomainError]) -> None:
    error = error_class("Something for people")
    assert isinstance(error, DomainError)
    assert error.detail == str(error) == "Something for people"
    assert error.code == error_class.default_code


def test_codes_are_distinct_and_can_be_specialised() -> None:
    assert len({error_class.default_code for error_class in ALL}) == len(ALL)
    error = RuleBroken("Already checked in today.", code="already_checked_in", extra={"goal": "x"})
    assert error.code == "already_checked_in"
    assert error.extra == {"goal": "x"}
