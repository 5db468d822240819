"""Partner reads: the lists, the allowance, search, suggestions and the partner dashboard."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.pagination import Page, decode_cursor, encode_cursor, page_of
from api.partners.allowance import allowances, has_partner_feature
from api.partners.schemas import (
    DashboardChallengeOut,
    DashboardGoalOut,
    FoundUsersOut,
    PartnerDashboardOut,
    PartnerLimitsOut,
    PartnerOut,
    PartnerUserOut,
)
from api.partners.views import found_user_out, partner_out, scheduled_today, user_streak
from db.partner_goals import partner_dashboard
from db.partner_lists import PartnerListKind, PartnerView, list_partners
from db.partner_search import SEARCH_MIN_LENGTH, SUGGESTION_CANDIDATES, search_users, suggest_users
from db.plans import plan_catalog
from domain.challenge_rules import target_value
from domain.errors import Forbidden, InvalidInput, NotFound


def _cursor_of(view: PartnerView) -> str:
    return encode_cursor(view.partnership.created_at, view.partnership.id)


async def read_partner_page(
    connection: AsyncConnection,
    me: UUID,
    kind: PartnerListKind,
    *,
    now: datetime,
    limit: int | None,
    cursor: str | None,
    include_today_goals: bool = False,
) -> Page[PartnerOut]:
    """Newest first; every row when `limit` is None. With include_today_goals, each partner's active
    goals of their own today come in the same statement."""
    after = decode_cursor(cursor, datetime, UUID) if cursor is not None else None
    rows = await list_partners(
        connection,
        me,
        kind,
        now=now,
        limit=None if limit is None else limit + 1,
        after=(after[0], after[1]) if after is not None else None,
        with_goals=include_today_goals,
    )
    page = page_of(rows, limit, _cursor_of) if limit is not None else Page(rows=rows, next_cursor=None)
    catalog = await plan_catalog(connection)
    return Page(
        rows=[partner_out(view, me, catalog) for view in page.rows],
        next_cursor=page.next_cursor,
    )


async def read_limits(connection: AsyncConnection, me: UUID, *, now: datetime) -> PartnerLimitsOut:
    allowance = (await allowances(connection, [me], now=now))[me]
    return PartnerLimitsOut(
        has_feature=allowance.has_feature,
        limit=allowance.limit,
        accepted_count=allowance.accepted,
        pending_sent_count=allowance.pending_sent,
        total_toward_limit=allowance.total,
        can_send_request=allowance.can_add,
    )


async def read_search(
    connection: AsyncConnection,
    me: UUID,
    query: str,
    *,
    now: datetime,
    page: int,
    limit: int,
    cursor: str | None,
) -> FoundUsersOut:
    """Page-based as the app reads it (`page`, `has_more`), with a keyset `next_cursor` beside it."""
    text = query.strip()
    if len(text) < SEARCH_MIN_LENGTH:
        raise InvalidInput(f"query must be at least {SEARCH_MIN_LENGTH} characters", code="query_too_short")
    after = decode_cursor(cursor, str)[0] if cursor is not None else None
    found = await search_users(
        connection,
        me,
        text,
        now=now,
        limit=limit + 1,
        offset=0 if after is not None else (page - 1) * limit,
        after_username=after,
    )
    shown, more = found.users[:limit], len(found.users) > limit
    return FoundUsersOut(
        users=[found_user_out(candidate, me, suggested=False) for candidate in shown],
        total=found.total,
        page=page,
        limit=limit,
        has_more=more,
        next_cursor=encode_cursor(shown[-1].username.lower()) if more else None,
    )


async def read_suggestions(
    connection: AsyncConnection, me: UUID, *, now: datetime, page: int, limit: int, cursor: str | None
) -> FoundUsersOut:
    """The scored set is at most 100 users, so its pages are plain offsets; the cursor carries one."""
    offset = (page - 1) * limit
    if cursor is not None:
        offset = decode_cursor(cursor, int)[0]
        if not 0 <= offset <= SUGGESTION_CANDIDATES:
            raise InvalidInput("cursor is not valid for this list", code="invalid_cursor")
    found = await suggest_users(connection, me, now=now, limit=limit, offset=offset)
    more = offset + len(found.users) < found.total
    return FoundUsersOut(
        users=[found_user_out(candidate, me, suggested=True) for candidate in found.users],
        total=found.total,
        page=page,
        limit=limit,
        has_more=more,
        next_cursor=encode_cursor(offset + limit) if more else None,
    )


async def read_dashboard(
    connection: AsyncConnection, me: UUID, partner_id: UUID, *, now: datetime
) -> PartnerDashboardOut:
    found = await partner_dashboard(connection, me, partner_id, now=now)
    if found is None:
        raise NotFound("Partnership not found.", code="partnership_not_found")
    if not found.is_active:
        raise Forbidden("This partner's account is not active.", code="partner_inactive")
    feature = has_partner_feature(await plan_catalog(connection), found.plan)
    goals = [
        DashboardGoalOut(
            id=goal.id,
            title=goal.title,
            status=goal.status,
            current_streak=goal.current_streak,
            logged_today=goal.logged_today,
            frequency_type=goal.frequency_type,
            is_scheduled_today=scheduled_today(goal),
        )
        for goal in found.goals
    ]
    challenges = [
        DashboardChallengeOut(
            id=challenge.id,
            title=challenge.title,
            status=challenge.status,
            progress=challenge.checkin_count,
            target_value=target_value(
                challenge.challenge_type, challenge.duration_days, challenge.target_checkins
            ),
            participants_count=challenge.participants_count,
            logged_today=challenge.logged_today,
        )
        for challenge in found.challenges
    ]
    return PartnerDashboardOut(
        partner=PartnerUserOut(
            id=found.partner_id,
            name=found.name,
            username=found.username,
            profile_picture_url=found.profile_picture_url,
            is_active=found.is_active,
            has_partner_feature=feature,
        ),
        partnership_id=found.partnership_id,
        partnership_created_at=found.partnership_created_at,
        goals=goals,
        challenges=challenges,
        total_active_goals=len(goals),
        total_active_challenges=len(challenges),
        overall_streak=user_streak(found.goals),
        # Any answered goal or challenge check-in of the partner's today (as the app shows it).
        logged_today=any(goal.logged_today for goal in goals)
        or any(challenge.logged_today for challenge in challenges),
        has_scheduled_today=any(goal.is_scheduled_today for goal in goals),
        has_partner_feature=feature,
    )
