"""GET /home/dashboard (docs/domain.md §5): today's unanswered check-ins with their goals, and the streaks."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

import msgspec

from api.goals.schemas import GoalOut


class PendingCheckInDataOut(msgspec.Struct):
    id: UUID
    goal_id: UUID
    check_in_date: date
    is_checked_in: bool = False


class PendingCheckInItemOut(msgspec.Struct):
    data: PendingCheckInDataOut
    item: GoalOut
    type: Literal["goal"] = "goal"


class DashboardOut(msgspec.Struct):
    today_pending_checkins: list[PendingCheckInItemOut]
    current_streak: int  # the user streak: highest current streak among active goals
    longest_streak: int  # highest longest streak among the same goals
