"""The state machine of GET /goals/{id}/insights and its refresh (docs/domain.md §3.14, steps 1–5).

1. a row generating (and not stale) → answer it, generating;
2. a completed row younger than FRESH_FOR, unless refreshing → answer it;
3. a failed row, unless refreshing → answer it (only a refresh retries);
4. fewer answered rows in 90 days than the goal's threshold → insufficient_data (stored on change);
5. otherwise claim the row and generate within the request's budget; past the budget answer
   generating and let `insights.finish` complete it.

Steps 1–4 and the claim run in one short transaction; the model runs outside it
(services/goal_insights.py). The plan is checked before the goal: a free caller learns nothing about
which goal ids exist.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from api.goals.editing import goal_not_found
from api.insights.schemas import GoalInsightsOut, InsightOut, InsightsMetricsOut, NudgeConfigOut
from api.resources import AppResources
from db.insight_facts import GoalFactsRow, goal_facts
from db.pattern_insights import InsightRow, insight_row
from db.plan_limits import plan_features_for
from domain.errors import PlanLimitReached
from domain.insights.rules import InsightStatus, min_required
from domain.plans import Feature
from services.addresses import INSIGHTS_FINISH
from services.goal_insights import FRESH_FOR, STALE_GENERATING, claim_goals, complete_generation


async def answer_insights(
    resources: AppResources, user_id: UUID, goal_id: UUID, *, now: datetime, refresh: bool
) -> GoalInsightsOut:
    database = resources.database
    async with database.transaction() as tx:
        if not (await plan_features_for(tx.connection, user_id)).has(Feature.PATTERN_DETECTION):
            raise PlanLimitReached(
                "Goal insights require a premium subscription", code="pattern_detection_required"
            )
        found = await goal_facts(tx.connection, [goal_id], now=now, user_id=user_id)
        if not found:
            raise goal_not_found()
        facts = found[0]
        row = await insight_row(tx.connection, user_id, goal_id)
        if row is not None and _settled(row, now=now, refresh=refresh):
            return _view(facts, row)
        prepared = await claim_goals(tx.connection, found, now=now)
    try:
        await complete_generation(
            database,
            resources.ai,
            prepared,
            now=now,
            budget_seconds=resources.settings.insights_request_budget_seconds,
        )
    except TimeoutError:
        async with database.transaction() as tx:
            for item in prepared:
                tx.enqueue(INSIGHTS_FINISH, str(item.claim.goal_id), str(item.claim.claim_id))
    async with database.single_statement() as connection:
        row = await insight_row(connection, user_id, goal_id)
    if row is None:  # steps 4 and 5 both leave a row: the goal was deleted meanwhile
        raise goal_not_found()
    return _view(facts, row)


def _settled(row: InsightRow, *, now: datetime, refresh: bool) -> bool:
    """Steps 1–3: the row answers as it is."""
    if row.status == InsightStatus.GENERATING:
        return row.updated_at >= now - STALE_GENERATING
    if refresh:
        return False
    if row.status == InsightStatus.COMPLETED:
        return row.generated_at is not None and row.generated_at > now - FRESH_FOR
    return row.status == InsightStatus.FAILED


def _view(facts: GoalFactsRow, row: InsightRow) -> GoalInsightsOut:
    return GoalInsightsOut(
        goal_id=facts.goal_id,
        goal_title=facts.title,
        status=row.status,
        insights=msgspec.convert(row.insights, list[InsightOut]),
        nudge_config=msgspec.convert(row.nudge_config, NudgeConfigOut | None),
        current_metrics=msgspec.convert(row.current_metrics, InsightsMetricsOut | None),
        previous_metrics=msgspec.convert(row.previous_metrics, InsightsMetricsOut | None),
        checkins_count=facts.answered_90d,
        min_required=min_required(facts.frequency_count),
        generated_at=row.generated_at,
        summary=row.summary,
    )
