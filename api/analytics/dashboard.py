"""GET /analytics/dashboard: the plan and goal checks, then the cached answer or the one statement."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from api.analytics.cache import DashboardCache
from db.analytics import dashboard_facts
from db.goals import owned_goal
from db.plan_limits import plan_features_for
from domain.analytics import AnalyticsDashboard, awaits_day_jobs, build_dashboard, streak_since
from domain.errors import NotFound, PlanLimitReached, RuleBroken
from domain.goal_rules import GoalStatus
from domain.plans import Feature
from domain.schedule import is_scheduled
from services.transaction import Transaction


def _goal_not_found() -> NotFound:
    return NotFound("Goal not found.", code="goal_not_found")


async def read_dashboard(
    tx: Transaction,
    cache: DashboardCache,
    *,
    user_id: UUID,
    goal_id: UUID,
    days: int,
    skip_cache: bool,
    now: datetime,
) -> AnalyticsDashboard:
    """The dashboard of the caller's active goal over `days` before their local today; `skip_cache`
    recomputes it and stores the fresh answer (the app's pull-to-refresh)."""
    connection = tx.connection
    # The plan first: a user whose premium ended is refused even while an answer is still cached.
    if not (await plan_features_for(connection, user_id)).has(Feature.ADVANCED_ANALYTICS):
        raise PlanLimitReached(
            "Advanced analytics require a premium subscription.",
            code="feature_required",
            extra={"feature": Feature.ADVANCED_ANALYTICS.value},
        )
    goal = await owned_goal(connection, user_id, goal_id, now=now)
    if goal is None:
        raise _goal_not_found()
    if goal.status != GoalStatus.ACTIVE:
        raise RuleBroken(
            "Analytics are only available for active goals.",
            code="goal_not_active",
            extra={"goal_status": goal.status},
        )
    today = goal.owner_today
    key = await cache.key(user_id=user_id, goal_id=goal_id, days=days, today=today)
    if key is not None and not skip_cache:
        cached = await cache.get(key)
        if cached is not None:
            return replace(cached, cache_hit=True)
    facts = await dashboard_facts(
        connection, user_id=user_id, goal_id=goal_id, today=today, days=days, streak_since=streak_since(today)
    )
    if facts is None:  # deleted since the check above
        raise _goal_not_found()
    dashboard = build_dashboard(facts, today=today, days=days, generated_at=now)
    if key is not None:
        scheduled_today = is_scheduled(goal.frequency_type, goal.target_days, today)
        provisional = awaits_day_jobs(facts.statuses, today, scheduled_today=scheduled_today)
        await cache.store(key, dashboard, provisional=provisional)
    return dashboard
