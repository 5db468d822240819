"""The hot statements, each reached by calling the function the API or a job calls, with its arguments.

Nothing here spells SQL: the plan benchmark records what these calls send (bench/recorded_statements.py)
and EXPLAINs exactly that, so a change to a query module shows up here without anyone copying it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from api.checkins.controller import DEFAULT_LIMIT as CHECKIN_PAGE_SIZE
from api.home.dashboard import dashboard
from api.notifications.controller import HISTORY_DEFAULT_LIMIT
from db.analytics import dashboard_facts
from db.checkins import CheckInFilter, checkin_page, lock_goal_to_answer
from db.daily_checkins import mark_missed_checkins
from db.due_checkin_notices import CheckinNoticeKind, take_due_checkin_notices
from db.due_daily_motivations import claim_morning_motivations
from db.due_morning_motivations import take_due_morning_users
from db.due_reminders import load_due_reminders, select_due_slots
from db.insight_facts import goal_facts, premium_goal_facts, premium_users_page
from db.notification_inbox import InboxPosition, inbox_page
from db.push_deliveries import (
    claim_due_deliveries,
    deliveries_awaiting_receipt,
    lapsed_claims,
    prune_deliveries,
)
from db.reminder_texts import claim_text_slots, load_text_candidates
from domain.analytics import DAYS_MAX, streak_since
from settings import get_settings
from workers.jobs import daily_motivations as ahead
from workers.jobs.checkin_prompts import BATCH_SIZE as PROMPT_BATCH_SIZE
from workers.jobs.insights import PAGE_USERS as INSIGHTS_PAGE_USERS
from workers.jobs.morning_motivations import BATCH_SIZE as MORNING_BATCH_SIZE
from workers.jobs.reminder_texts import CHUNK_SIZE as TEXT_CHUNK_SIZE
from workers.jobs.reminder_texts import CLAIM_BATCH_SIZE as TEXT_CLAIM_BATCH_SIZE
from workers.jobs.reminder_texts import MIN_LEAD, TEXT_CLAIM_LEASE
from workers.jobs.reminders import CHUNK_SIZE, CLAIM_LEASE, MAX_DUE_PER_TICK
from workers.push.delivery import BATCH_SIZE as DELIVERY_BATCH_SIZE
from workers.push.expo_client import MAX_RECEIPT_IDS_PER_REQUEST
from workers.push.retention import DELIVERY_RETENTION, PRUNE_BATCH_SIZE
from workers.push.sweep import MAX_LAPSED_ROWS_PER_SWEEP


@dataclass(frozen=True, slots=True)
class Sample:
    """The inputs of one run: an instant, a user with a year of history, and positions deep in it."""

    now: datetime
    user_id: UUID
    goal_id: UUID
    checkin_after: tuple[date, UUID]  # the keyset position of the second page of the goal's check-ins
    inbox_after: InboxPosition  # the same for the user's inbox
    due_slot_ids: list[UUID]  # what the tick found due: one chunk's worth is loaded


@dataclass(frozen=True, slots=True)
class HotStatement:
    name: str
    run: Callable[[AsyncConnection, Sample], Awaitable[Any]]


async def _check_in_page(connection: AsyncConnection, sample: Sample, *, second: bool) -> Any:
    # The route asks for one row more than the page to know whether a next page exists.
    return await checkin_page(
        connection,
        CheckInFilter(user_id=sample.user_id, goal_id=sample.goal_id),
        limit=CHECKIN_PAGE_SIZE + 1,
        after=sample.checkin_after if second else None,
    )


async def _inbox_page(connection: AsyncConnection, sample: Sample, *, second: bool) -> Any:
    return await inbox_page(
        connection,
        sample.user_id,
        limit=HISTORY_DEFAULT_LIMIT + 1,
        after=sample.inbox_after if second else None,
    )


async def _claim(connection: AsyncConnection, sample: Sample) -> Any:
    settings = get_settings()
    lease = timedelta(seconds=settings.push_claim_lease_seconds)
    return await claim_due_deliveries(
        connection,
        claim_id=uuid4(),
        owner="bench",
        now=sample.now,
        lease_until=sample.now + lease,
        stale_after=timedelta(minutes=settings.reminder_stale_after_minutes),
        limit=DELIVERY_BATCH_SIZE,
    )


async def _awaiting_receipt(connection: AsyncConnection, sample: Sample) -> Any:
    delay = timedelta(seconds=get_settings().push_receipt_delay_seconds)
    return await deliveries_awaiting_receipt(
        connection, sent_before=sample.now - delay, after=None, limit=MAX_RECEIPT_IDS_PER_REQUEST
    )


async def _analytics(connection: AsyncConnection, sample: Sample) -> Any:
    # The UTC date stands in for the owner's local today: a day either way reads as many rows.
    today = sample.now.date()
    return await dashboard_facts(
        connection,
        user_id=sample.user_id,
        goal_id=sample.goal_id,
        today=today,
        days=DAYS_MAX,
        streak_since=streak_since(today),
    )


async def _claim_texts(connection: AsyncConnection, sample: Sample) -> Any:
    lookahead = timedelta(minutes=get_settings().reminder_text_lookahead_minutes)
    return await claim_text_slots(
        connection,
        now=sample.now,
        fire_from=sample.now + MIN_LEAD,
        fire_until=sample.now + lookahead,
        lease=TEXT_CLAIM_LEASE,
        limit=TEXT_CLAIM_BATCH_SIZE,
    )


HOT_STATEMENTS: tuple[HotStatement, ...] = (
    HotStatement("home dashboard", lambda c, s: dashboard(c, user_id=s.user_id, now=s.now)),
    HotStatement(
        "check-in answer: lock statement",
        lambda c, s: lock_goal_to_answer(c, user_id=s.user_id, goal_id=s.goal_id),
    ),
    HotStatement("analytics dashboard, 180 days", _analytics),
    HotStatement("check-ins of a goal, first page", lambda c, s: _check_in_page(c, s, second=False)),
    HotStatement("check-ins of a goal, keyset page 2", lambda c, s: _check_in_page(c, s, second=True)),
    HotStatement("notification history, first page", lambda c, s: _inbox_page(c, s, second=False)),
    HotStatement("notification history, keyset page 2", lambda c, s: _inbox_page(c, s, second=True)),
    HotStatement(
        "reminders.tick: due slots",
        lambda c, s: select_due_slots(c, now=s.now, lease=CLAIM_LEASE, limit=MAX_DUE_PER_TICK),
    ),
    HotStatement(
        "reminder chunk load",
        lambda c, s: load_due_reminders(c, s.due_slot_ids[:CHUNK_SIZE], now=s.now),
    ),
    HotStatement("reminder_texts.prepare: claim", _claim_texts),
    HotStatement(
        "reminder text chunk load",
        lambda c, s: load_text_candidates(c, s.due_slot_ids[:TEXT_CHUNK_SIZE], claimed_at=s.now),
    ),
    HotStatement(
        "checkins.prompts: due prompts",
        lambda c, s: take_due_checkin_notices(
            c, CheckinNoticeKind.PROMPT, now=s.now, limit=PROMPT_BATCH_SIZE
        ),
    ),
    HotStatement(
        "checkins.prompts: due follow-ups",
        lambda c, s: take_due_checkin_notices(
            c, CheckinNoticeKind.FOLLOWUP, now=s.now, limit=PROMPT_BATCH_SIZE
        ),
    ),
    HotStatement(
        "reminders.morning: due users",
        lambda c, s: take_due_morning_users(c, now=s.now, limit=MORNING_BATCH_SIZE),
    ),
    HotStatement(
        "motivations.prepare: claim",
        lambda c, s: claim_morning_motivations(
            c, now=s.now, lead=ahead.LEAD, lease=ahead.CLAIM_LEASE, limit=ahead.CLAIM_BATCH_SIZE
        ),
    ),
    HotStatement(
        "goal insights: facts of one goal",
        lambda c, s: goal_facts(c, [s.goal_id], now=s.now, user_id=s.user_id),
    ),
    HotStatement(
        "insights.detect_patterns: users page",
        lambda c, s: premium_users_page(c, after=None, limit=INSIGHTS_PAGE_USERS),
    ),
    # The sample user is on the free plan: the statement's plan is what counts here.
    HotStatement("insights.detect_chunk: facts", lambda c, s: premium_goal_facts(c, [s.user_id], now=s.now)),
    HotStatement("checkins.mark_missed", lambda c, s: mark_missed_checkins(c, now=s.now)),
    HotStatement("push.deliver: claim", _claim),
    HotStatement(
        "push.sweep: lapsed claims",
        lambda c, s: lapsed_claims(
            c, now=s.now, live_owners=["bench"], claimed_before=s.now, limit=MAX_LAPSED_ROWS_PER_SWEEP
        ),
    ),
    HotStatement("push.receipts: awaiting receipt", _awaiting_receipt),
    HotStatement(
        "push.retention: delete a batch",
        lambda c, s: prune_deliveries(c, created_before=s.now - DELIVERY_RETENTION, limit=PRUNE_BATCH_SIZE),
    ),
)
