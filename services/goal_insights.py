"""Generating goal insights (docs/domain.md §3.14): claim, read the facts, ask the model, store.

Shared by the request (GET /goals/{id}/insights and its refresh), the `insights.finish` actor (a
generation the request left past its budget) and the weekly detect_patterns job. Each generation runs
in three steps so that no transaction stays open while the model thinks:

1. one short transaction: the facts of the goals (one statement for the whole set), insufficient_data
   stored for goals under their threshold, the others claimed `generating` (one statement);
2. the model, outside any transaction; its answer is checked (domain/insights/output.py) and an
   unusable or missing answer is replaced by the template insights built from the metrics;
3. one short transaction: the results stored where their claim still holds (one statement).

A generation that breaks between 1 and 3 stores `failed` with the error (only a refresh retries it);
one that dies without a word leaves its row `generating`, which counts as free again after
STALE_GENERATING, so the next request or job run generates it anew.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from db.insight_facts import GoalFactsRow, goal_facts
from db.pattern_insights import (
    Claim,
    ClaimRequest,
    GeneratedRow,
    claim_generation,
    held_claims,
    record_insufficient,
    store_failed,
    store_generated,
)
from domain.insights.output import InsightsText, parse_insights_output
from domain.insights.prompt import MAX_TOKENS, TEMPERATURE, insights_system_prompt, insights_user_prompt
from domain.insights.rules import GoalFacts, min_required, nudge_config
from domain.insights.templates import template_insights, template_summary
from services.ai.model import AiFeature, ChatPrompt, TextModel
from services.transaction import Database

__all__ = [
    "FRESH_FOR",
    "MODEL_CALLS_AT_ONCE",
    "MODEL_DEADLINE_SECONDS",
    "STALE_GENERATING",
    "Prepared",
    "claim_goals",
    "complete_generation",
    "resume_claims",
    "write_insights",
]

logger = logging.getLogger(__name__)

# A completed row younger than this is served as it is (not on refresh).
FRESH_FOR: Final = timedelta(hours=24)
# The model call's own bound, retries included: what a worker waits at most. The request waits less
# (INSIGHTS_REQUEST_BUDGET_SECONDS) and hands the rest to `insights.finish`.
MODEL_DEADLINE_SECONDS: Final = 60.0
# Model calls one generation (a detect chunk: up to 50 users' goals) has open at once. The per-minute
# budget (OPENAI_CALLS_PER_MINUTE) is shared with every other AI text: a weekly chunk must not take it
# all in one burst. Past the budget a text is its template, never lost.
MODEL_CALLS_AT_ONCE: Final = 5
# A row generating for longer than this has lost its generation (a worker or web process died): far
# above the longest a holder can run (the detect chunk actor's 10 minute limit, the finish actor's 2).
STALE_GENERATING: Final = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A goal claimed for generation, with what the model and the templates read."""

    claim: Claim
    facts: GoalFacts


def _goal_facts(row: GoalFactsRow, claim: Claim) -> GoalFacts:
    return GoalFacts(
        title=row.title,
        frequency_type=row.frequency_type,
        frequency_count=row.frequency_count,
        reminder_times=row.reminder_times,
        metrics=row.metrics,
        weekday_rates=row.weekday_rates,
        skip_reasons=row.skip_reasons,
        recent=row.recent,
        previous_metrics=claim.previous_metrics,
    )


async def claim_goals(
    connection: AsyncConnection,
    rows: Sequence[GoalFactsRow],
    *,
    now: datetime,
    fresh_after: datetime | None = None,
) -> list[Prepared]:
    """Step 1 for goals whose facts are read: insufficient_data stored where the answered rows of 90
    days fall short of the threshold, the others claimed (those another generation holds are left out)."""
    short = [row for row in rows if row.answered_90d < min_required(row.frequency_count)]
    enough = [row for row in rows if row.answered_90d >= min_required(row.frequency_count)]
    stale_before = now - STALE_GENERATING
    await record_insufficient(
        connection, [_request(row) for row in short], now=now, stale_before=stale_before
    )
    claims = await claim_generation(
        connection,
        [_request(row) for row in enough],
        now=now,
        stale_before=stale_before,
        fresh_after=fresh_after,
    )
    by_goal = {row.goal_id: row for row in enough}
    return [Prepared(claim, _goal_facts(by_goal[claim.goal_id], claim)) for claim in claims]


def _request(row: GoalFactsRow) -> ClaimRequest:
    return ClaimRequest(row.goal_id, row.user_id, row.answered_90d)


async def resume_claims(
    connection: AsyncConnection, claims: Mapping[UUID, UUID], *, now: datetime
) -> list[Prepared]:
    """Step 1 again for claims taken earlier (goal id → claim id): those still held, with fresh facts."""
    held = await held_claims(connection, claims)
    rows = {
        row.goal_id: row
        for row in await goal_facts(connection, [c.goal_id for c in held], now=now, user_id=None)
    }
    return [
        Prepared(claim, _goal_facts(rows[claim.goal_id], claim)) for claim in held if claim.goal_id in rows
    ]


async def write_insights(ai: TextModel, facts: GoalFacts) -> InsightsText:
    """Step 2 for one goal: the model's insights when it gives usable ones, else the templates."""
    prompt = ChatPrompt(
        feature=AiFeature.GOAL_INSIGHTS,
        system=insights_system_prompt(facts),
        user=insights_user_prompt(facts),
        temperature=TEMPERATURE,
        max_tokens=MAX_TOKENS,
        json_output=True,
        deadline_seconds=MODEL_DEADLINE_SECONDS,
    )
    text = await ai.complete(prompt)
    parsed = (
        None
        if text is None
        else parse_insights_output(
            text, rules_nudge=nudge_config(facts), rules_summary=template_summary(facts)
        )
    )
    return parsed or template_insights(facts)


def _generated_row(prepared: Prepared, text: InsightsText) -> GeneratedRow:
    return GeneratedRow(
        goal_id=prepared.claim.goal_id,
        claim_id=prepared.claim.claim_id,
        insights=[insight.as_json() for insight in text.insights],
        nudge_config=text.nudge_config.as_json(),
        current_metrics=prepared.facts.metrics.as_json(),
        previous_metrics=prepared.claim.previous_metrics,
        summary=text.summary,
    )


async def complete_generation(
    database: Database,
    ai: TextModel,
    prepared: Sequence[Prepared],
    *,
    now: datetime,
    budget_seconds: float | None = None,
) -> set[UUID]:
    """Steps 2 and 3: the goals whose insights were stored (a claim taken over stores nothing).

    TimeoutError when `budget_seconds` passes before the model is done: the claims still hold, and
    the caller hands them to `insights.finish`."""
    if not prepared:
        return set()
    slots = asyncio.Semaphore(MODEL_CALLS_AT_ONCE)

    async def write(facts: GoalFacts) -> InsightsText:
        async with slots:
            return await write_insights(ai, facts)

    try:
        async with asyncio.timeout(budget_seconds):
            texts = await asyncio.gather(*(write(item.facts) for item in prepared))
    except TimeoutError:
        raise
    except Exception as error:
        # The model client never raises for model trouble, so this is a bug or a broken deployment:
        # say so on the rows (failed, with the error) rather than leave them generating.
        logger.exception("goal insights generation failed for %d goal(s)", len(prepared))
        async with database.transaction() as tx:
            await store_failed(
                tx.connection,
                {item.claim.goal_id: item.claim.claim_id for item in prepared},
                type(error).__name__,
                now=now,
            )
        return set()
    async with database.transaction() as tx:
        rows = [_generated_row(item, text) for item, text in zip(prepared, texts, strict=True)]
        return await store_generated(tx.connection, rows, now=now)
