"""Writing weekly recaps (§3.12): the numbers from SQL, the five texts from the model or the template.

    drafts = await draft_recaps(database, ai, targets, skip_existing=True)
    async with database.transaction() as tx:
        stored = await store_recaps(tx.connection, drafts, now=now, replace=False)

`draft_recaps` reads the facts of a whole chunk in one short transaction (db/weekly_recap_stats.py),
which is closed before any model call: a slow model never holds a connection or a lock. The calls
for the chunk run concurrently (the model client caps how many are in flight); an answer that is
missing or fails the checks of domain/weekly_recap_text.py gives way to the template, so a recap is
never lost to the model. The caller writes the drafts in a new short transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from db.notifications import NotificationDraft
from db.plans import plan_catalog
from db.weekly_recap_stats import RecapTarget, recap_facts
from db.weekly_recaps import NewRecap, StoredRecap
from domain.dedupe_keys import weekly_recap_key
from domain.notification_copy.weekly_recap_notices import weekly_recap_notification
from domain.plans import Feature
from domain.weekly_recap_text import (
    RECAP_MAX_TOKENS,
    RECAP_TEMPERATURE,
    RecapText,
    parse_recap_text,
    recap_prompt,
    template_recap_text,
)
from domain.weekly_recaps import RecapFacts, RecapNumbers, recap_numbers
from services.ai.model import AiFeature, ChatPrompt, TextModel
from services.notify import CreatedNotifications, notify
from services.transaction import Database, Transaction

__all__ = ["announce_recaps", "draft_recaps", "write_recap_text"]


async def draft_recaps(
    database: Database,
    ai: TextModel,
    targets: Sequence[RecapTarget],
    *,
    skip_existing: bool,
    deadline_seconds: float | None = None,
) -> list[NewRecap]:
    """The recaps due among `targets` (one per user): users whose plan has weekly recaps, with an
    active goal and at least one occurrence in the window; with `skip_existing`, only those whose
    recap is not written yet (a second run pays for no second text)."""
    async with database.transaction() as tx:
        facts = await recap_facts(tx.connection, targets)
        catalog = await plan_catalog(tx.connection)
    with_feature = {plan.id for plan in catalog.plans if plan.feature_set().has(Feature.WEEKLY_RECAP)}
    due = [
        item
        for item in facts
        if item.has_data
        and item.subject.plan in with_feature
        and not (skip_existing and item.subject.has_recap)
    ]
    numbers = [recap_numbers(item) for item in due]
    texts = await asyncio.gather(
        *(
            write_recap_text(ai, item, item_numbers, deadline_seconds=deadline_seconds)
            for item, item_numbers in zip(due, numbers, strict=True)
        )
    )
    return [
        NewRecap(item.subject.user_id, item_numbers, text)
        for item, item_numbers, text in zip(due, numbers, texts, strict=True)
    ]


async def write_recap_text(
    ai: TextModel, facts: RecapFacts, numbers: RecapNumbers, *, deadline_seconds: float | None
) -> RecapText:
    """The model's five texts when it answers in shape, else the template filled from the stats."""
    name, style = facts.subject.name, facts.subject.motivation_style
    system, user = recap_prompt(numbers, name, style)
    answer = await ai.complete(
        ChatPrompt(
            feature=AiFeature.WEEKLY_RECAP,
            system=system,
            user=user,
            temperature=RECAP_TEMPERATURE,
            max_tokens=RECAP_MAX_TOKENS,
            json_output=True,
            deadline_seconds=deadline_seconds,
        )
    )
    return parse_recap_text(answer) or template_recap_text(numbers, name, style)


async def announce_recaps(
    tx: Transaction, stored: Sequence[StoredRecap], *, now: datetime
) -> CreatedNotifications:
    """The recap-ready notice of each stored recap, once per user and week (§3.10)."""
    drafts = [
        NotificationDraft(
            recap.user_id,
            weekly_recap_notification(
                recap.id, recap.week_start, recap.goals_hit, recap.goals_total, recap.consistency_percent
            ),
            dedupe_key=weekly_recap_key(recap.user_id, recap.week_start),
        )
        for recap in stored
    ]
    return await notify(tx, drafts, now=now)
