"""Bodies of the goal insights routes, as the client's `GoalInsightsResponse` (services/api/goals.ts)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class InsightOut(msgspec.Struct):
    type: str  # pattern | encouragement | warning | tip
    text: str
    priority: int


class NudgeConfigOut(msgspec.Struct):
    risky_days: list[int]  # 0 = Sunday
    risk_level: str  # low | medium | high
    best_nudge_time: str  # "HH:MM"
    needs_extra_motivation: bool


class InsightsMetricsOut(msgspec.Struct):
    completion_rate_30d: float
    completion_rate_7d: float
    current_streak: int
    longest_streak: int
    total_checkins_30d: int
    completed_checkins_30d: int
    best_day_index: int | None
    best_day_rate: float | None
    worst_day_index: int | None
    worst_day_rate: float | None
    calculated_at: str


class GoalInsightsOut(msgspec.Struct):
    goal_id: UUID
    goal_title: str
    status: str  # pending | generating | completed | failed | insufficient_data
    insights: list[InsightOut]
    nudge_config: NudgeConfigOut | None
    current_metrics: InsightsMetricsOut | None
    previous_metrics: InsightsMetricsOut | None
    checkins_count: int  # answered rows of the last 90 local days
    min_required: int
    generated_at: datetime | None
    summary: str | None


class InsightsRefreshOut(msgspec.Struct):
    message: str
    goal_id: UUID
    status: str
    insights_count: int
