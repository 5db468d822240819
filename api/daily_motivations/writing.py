"""Writing a daily motivation on request: today's when the morning job has not (docs client-behaviour §5),
and premium's regenerate.

Neither holds a transaction or a pooled connection while the model writes: the read is one statement,
the model call (at most TODAY_DEADLINE_SECONDS) runs with no connection, and the write is one statement.
A text the model does not give, or gives against the rules, is the style's fixed line, and it is stored
like any other: the day's motivation stays the same on every open and can be shared.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from uuid import UUID

from db.daily_motivations import (
    MotivationDraft,
    MotivationRow,
    TodaysMotivation,
    motivation_on,
    motivation_subjects,
    regenerate_motivation,
    store_motivations,
    todays_motivation,
)
from db.plan_limits import features_of_plan
from domain.daily_motivation import REGENERATIONS_PER_DAY, pick_background_style, template_motivation
from domain.errors import Conflict, DailyLimitReached, NotFound, PlanLimitReached
from domain.plans import Feature
from services.ai.daily_motivation import write_motivation
from services.ai.model import TextModel
from services.transaction import Database

# The user is looking at a loading card: past this, the template.
TODAY_DEADLINE_SECONDS: Final = 5.0


async def todays_motivation_row(
    database: Database, model: TextModel, user_id: UUID, *, now: datetime
) -> MotivationRow:
    """The user's motivation of their local today, written now when missing. A concurrent request (or
    the morning job) may write the same date first: the insert then does nothing and that row is read."""
    today = await _today(database, user_id, now)
    if today.row is not None:
        return today.row
    draft = await _draft(database, model, user_id, today.local_date, instead_of=None)
    async with database.single_statement() as connection:
        stored = await store_motivations(connection, [draft], now=now)
    if stored:
        return stored[0]
    async with database.single_statement() as connection:
        row = await motivation_on(connection, user_id, today.local_date)
    if row is None:  # written and already replaced by a later date's row (a zone change in between)
        raise Conflict(
            "Today's motivation changed while it was written; try again.", code="motivation_changed"
        )
    return row


async def regenerated_motivation_row(
    database: Database, model: TextModel, user_id: UUID, *, now: datetime
) -> MotivationRow:
    """A new text and a new style for the user's local today: premium only (unlimited_text_motivation),
    at most REGENERATIONS_PER_DAY times per local day."""
    today = await _today(database, user_id, now)
    async with database.single_statement() as connection:
        features = await features_of_plan(connection, today.plan)
    if not features.has(Feature.UNLIMITED_TEXT_MOTIVATION):
        raise PlanLimitReached(
            "A new daily motivation on demand is part of Premium.", code="unlimited_text_motivation_required"
        )
    if today.row is not None and today.row.regenerations >= REGENERATIONS_PER_DAY:
        raise _cap_reached()
    replaced = today.row.background_style if today.row is not None else None
    draft = await _draft(database, model, user_id, today.local_date, instead_of=replaced)
    async with database.single_statement() as connection:
        row = await regenerate_motivation(connection, draft, now=now, daily_cap=REGENERATIONS_PER_DAY)
    if row is None:  # concurrent regenerations used up the day's last ones meanwhile
        raise _cap_reached()
    return row


async def _today(database: Database, user_id: UUID, now: datetime) -> TodaysMotivation:
    async with database.single_statement() as connection:
        today = await todays_motivation(connection, user_id, now=now)
    if today is None:
        raise NotFound("User not found.", code="user_not_found")
    return today


async def _draft(
    database: Database, model: TextModel, user_id: UUID, local_date: date, *, instead_of: str | None
) -> MotivationDraft:
    async with database.single_statement() as connection:
        subjects = await motivation_subjects(connection, [(user_id, local_date)])
    if not subjects:
        raise NotFound("User not found.", code="user_not_found")
    subject = subjects[0].subject
    text = await write_motivation(model, subject, deadline_seconds=TODAY_DEADLINE_SECONDS)
    return MotivationDraft(
        user_id=user_id,
        local_date=local_date,
        message=text or template_motivation(subject),
        background_style=pick_background_style(instead_of=instead_of),
    )


def _cap_reached() -> DailyLimitReached:
    return DailyLimitReached(
        f"You can get a new motivation {REGENERATIONS_PER_DAY} times a day; try again tomorrow.",
        code="motivation_regenerate_limit",
        extra={"limit": REGENERATIONS_PER_DAY},
    )
