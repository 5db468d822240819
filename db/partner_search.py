"""Finding people to partner with (§3.4): name/username search and scored suggestions.

Both return active, onboarded users other than the caller, never a user of a blocked pair (whoever
blocked), each with the caller's live partnership row toward them (an expired request reads as none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.partnerships import PartnershipStatus
from db.tables import accountability_partners, users

__all__ = [
    "SEARCH_MIN_LENGTH",
    "SUGGESTION_CANDIDATES",
    "Candidate",
    "FoundUsers",
    "search_users",
    "suggest_users",
]

_ap = accountability_partners
SEARCH_MIN_LENGTH: Final = 2
# The suggestions score at most this many candidates per request (§3.4).
SUGGESTION_CANDIDATES: Final = 100


@dataclass(frozen=True, slots=True)
class Candidate:
    id: UUID
    name: str
    username: str
    profile_picture_url: str | None
    last_active_at: datetime | None
    partnership_id: UUID | None
    partnership_status: str | None
    partnership_sender: UUID | None
    match_score: float | None = None
    goal_score: float | None = None
    frequency_score: float | None = None
    timezone_score: float | None = None
    streak_score: float | None = None
    matched_goals: list[str] | None = None


@dataclass(frozen=True, slots=True)
class FoundUsers:
    total: int
    users: list[Candidate]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _pair_row(me: UUID, now: datetime) -> sa.Subquery:
    """The caller's live rows, keyed by the other user (one per pair by the unique index)."""
    other = sa.case((_ap.c.user_id == me, _ap.c.partner_user_id), else_=_ap.c.user_id)
    return (
        sa.select(
            other.label("other_id"),
            _ap.c.id.label("partnership_id"),
            _ap.c.status.label("partnership_status"),
            _ap.c.user_id.label("partnership_sender"),
        )
        .where(
            sa.or_(_ap.c.user_id == me, _ap.c.partner_user_id == me),
            sa.or_(_ap.c.status != PartnershipStatus.PENDING.value, _ap.c.expires_at > now),
        )
        .subquery("pair")
    )


def _findable(me: UUID) -> sa.ColumnElement[bool]:
    return sa.and_(users.c.status == "active", users.c.onboarding_completed_at.is_not(None), users.c.id != me)


_USER_COLUMNS: Final = (
    users.c.id,
    users.c.name,
    users.c.username,
    users.c.profile_picture_url,
    users.c.last_active_at,
)


async def search_users(
    connection: AsyncConnection,
    me: UUID,
    query: str,
    *,
    now: datetime,
    limit: int,
    offset: int,
    after_username: str | None,
) -> FoundUsers:
    """Users whose name or username contains `query` (case-insensitive, bound as a LIKE pattern, so
    the trigram indexes serve it), ordered by lower(username) (unique). One statement: the total
    and one page, after `after_username` (keyset) or skipping `offset`."""
    pattern = f"%{_escape_like(query)}%"
    pair = _pair_row(me, now)
    matches = (
        sa.select(*_USER_COLUMNS, pair.c.partnership_id, pair.c.partnership_status, pair.c.partnership_sender)
        .select_from(users.outerjoin(pair, pair.c.other_id == users.c.id))
        .where(
            _findable(me),
            sa.or_(users.c.name.ilike(pattern, escape="\\"), users.c.username.ilike(pattern, escape="\\")),
            sa.or_(
                pair.c.partnership_status.is_(None),
                pair.c.partnership_status != PartnershipStatus.BLOCKED.value,
            ),
        )
        .cte("matches")
    )
    page = sa.select(matches).order_by(sa.func.lower(matches.c.username))
    if after_username is not None:
        page = page.where(sa.func.lower(matches.c.username) > after_username)
    page_sub = page.limit(limit).offset(offset).subquery("page").lateral()
    total = sa.select(sa.func.count().label("total")).select_from(matches).subquery("total")
    statement = (
        sa.select(total.c.total, page_sub)
        .select_from(total.outerjoin(page_sub, sa.true()))
        .order_by(sa.func.lower(page_sub.c.username))
    )
    rows = (await connection.execute(statement)).all()
    return FoundUsers(
        total=rows[0].total if rows else 0,
        users=[_candidate(row._mapping) for row in rows if row.id is not None],
    )


def _candidate(mapping: Any) -> Candidate:
    return Candidate(**{name: mapping[name] for name in Candidate.__dataclass_fields__ if name in mapping})


# Suggestions: scored in SQL over a bounded candidate set. Text because the scoring reads better as
# one statement than as nested constructs; every value is a bound parameter.
_SUGGESTIONS: Final = sa.text(
    """
WITH me AS (
    SELECT u.id, u.timezone FROM users u WHERE u.id = :me
),
my_goals AS (
    SELECT g.title, g.frequency_type, g.frequency_count, g.target_days, g.current_streak
    FROM goals g WHERE g.user_id = :me AND g.status = 'active'
),
my_words AS (
    SELECT DISTINCT word FROM my_goals, regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS word
    WHERE length(word) >= 3
),
my_profile AS (
    SELECT
        coalesce(avg(CASE WHEN frequency_type = 'daily' THEN 7
                          ELSE coalesce(cardinality(target_days), frequency_count) END), 0) AS per_week,
        coalesce(max(current_streak), 0) AS streak
    FROM my_goals
),
paired AS (
    SELECT CASE WHEN ap.user_id = :me THEN ap.partner_user_id ELSE ap.user_id END AS other_id
    FROM accountability_partners ap
    WHERE (ap.user_id = :me OR ap.partner_user_id = :me)
      AND (ap.status <> 'pending' OR ap.expires_at > :now)
),
-- The candidates: up to :candidates findable users with an active goal and no live row with me, taken
-- in id order from my own id onwards (wrapping round), so every user sees a different, stable set
-- and each step is a primary-key index walk.
eligible AS NOT MATERIALIZED (
    SELECT u.id, u.name, u.username, u.profile_picture_url, u.last_active_at, u.timezone
    FROM users u
    WHERE u.status = 'active' AND u.onboarding_completed_at IS NOT NULL AND u.id <> :me
      AND EXISTS (SELECT 1 FROM goals g WHERE g.user_id = u.id AND g.status = 'active')
      AND NOT EXISTS (SELECT 1 FROM paired p WHERE p.other_id = u.id)
),
-- Inlined into both branches (NOT MATERIALIZED), so each is a primary-key walk that stops at the
-- limit instead of a pass over every user.
candidates AS (
    (SELECT *, true AS after_me FROM eligible WHERE id > :me ORDER BY id LIMIT :candidates)
    UNION ALL
    (SELECT *, false AS after_me FROM eligible WHERE id < :me ORDER BY id LIMIT :candidates)
),
bounded AS (
    SELECT * FROM candidates ORDER BY after_me DESC, id LIMIT :candidates
),
their_goals AS (
    -- Lateral: one (user_id, status) index probe per candidate, never a pass over all goals.
    SELECT g.user_id, g.title, g.frequency_type, g.frequency_count, g.target_days, g.current_streak
    FROM bounded b CROSS JOIN LATERAL (
        SELECT * FROM goals WHERE goals.user_id = b.id AND goals.status = 'active'
    ) AS g
),
their_words AS (
    SELECT DISTINCT tg.user_id, word
    FROM their_goals tg, regexp_split_to_table(lower(tg.title), '[^[:alnum:]]+') AS word
    WHERE length(word) >= 3
),
word_overlap AS (
    SELECT b.id AS user_id,
           (SELECT count(*) FROM their_words tw JOIN my_words mw USING (word)
            WHERE tw.user_id = b.id) AS shared,
           (SELECT count(*) FROM (SELECT word FROM their_words tw WHERE tw.user_id = b.id
                                  UNION SELECT word FROM my_words) AS all_words) AS combined
    FROM bounded b
),
their_profile AS (
    SELECT tg.user_id,
           avg(CASE WHEN tg.frequency_type = 'daily' THEN 7
                    ELSE coalesce(cardinality(tg.target_days), tg.frequency_count) END) AS per_week,
           max(tg.current_streak) AS streak,
           (array_agg(tg.title ORDER BY tg.title) FILTER (
               WHERE EXISTS (SELECT 1 FROM regexp_split_to_table(lower(tg.title), '[^[:alnum:]]+') AS w
                             JOIN my_words mw ON mw.word = w)
           )) AS matched_goals
    FROM their_goals tg GROUP BY tg.user_id
),
scored AS (
    SELECT b.id, b.name, b.username, b.profile_picture_url, b.last_active_at,
           40.0 * CASE WHEN wo.combined > 0 THEN wo.shared::numeric / wo.combined ELSE 0 END AS goal_score,
           25.0 * greatest(0, 1 - abs(tp.per_week - mp.per_week) / 7.0) AS frequency_score,
           25.0 * greatest(0, 1 - abs(
               extract(epoch FROM (timezone(b.timezone, :now) - timezone(me.timezone, :now))) / 3600.0
           ) / 12.0) AS timezone_score,
           10.0 * CASE WHEN greatest(tp.streak, mp.streak) = 0 THEN 1
                       ELSE 1 - abs(tp.streak - mp.streak)::numeric / greatest(tp.streak, mp.streak) END
               AS streak_score,
           coalesce(tp.matched_goals, ARRAY[]::text[]) AS matched_goals
    FROM bounded b
    JOIN their_profile tp ON tp.user_id = b.id
    JOIN word_overlap wo ON wo.user_id = b.id
    CROSS JOIN my_profile mp CROSS JOIN me
)
SELECT total.total, page.*
FROM (SELECT count(*) AS total FROM scored) AS total
LEFT JOIN LATERAL (
    SELECT s.*, round(s.goal_score + s.frequency_score + s.timezone_score + s.streak_score, 1) AS match_score,
           NULL::uuid AS partnership_id, NULL::text AS partnership_status, NULL::uuid AS partnership_sender
    FROM scored s
    ORDER BY match_score DESC, s.id
    LIMIT :limit OFFSET :offset
) AS page ON true
ORDER BY page.match_score DESC, page.id
"""
)


async def suggest_users(
    connection: AsyncConnection, me: UUID, *, now: datetime, limit: int, offset: int
) -> FoundUsers:
    """Up to SUGGESTION_CANDIDATES users with active goals and no live row with the caller (accepted,
    pending or blocked), scored 0–100: shared goal-title words 40, weekly frequency 25, time-zone
    offset 25, streak level 10. One statement: the total and one page by score."""
    rows = (
        await connection.execute(
            _SUGGESTIONS,
            {"me": me, "now": now, "candidates": SUGGESTION_CANDIDATES, "limit": limit, "offset": offset},
        )
    ).all()
    found = []
    for row in rows:
        if row.id is None:
            continue
        mapping = dict(row._mapping)
        for key in ("match_score", "goal_score", "frequency_score", "timezone_score", "streak_score"):
            mapping[key] = float(mapping[key])
        found.append(_candidate(mapping))
    return FoundUsers(total=rows[0].total if rows else 0, users=found)
