"""The coach's tools (client-behaviour §7.4): read-only, each over the caller's own rows only (every
query takes the caller's id from the turn, never from the model), bounded in rows, and logged.

The model's call is data to check, never code to run: an unknown name, arguments that are not a JSON
object, or a value out of range is answered to the model as `{"error": ...}` and nothing is read.
The queries are the db modules the API's own routes use.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from db.achievement_lists import achievement_totals, user_achievement_page
from db.checkins import CheckInFilter, checkin_page
from db.goals import list_goals
from db.partner_lists import PartnerListKind, list_partners
from db.plans import plan_catalog
from domain.plans import Feature
from services.ai.model import ToolCall, ToolSpec

__all__ = ["TOOLS", "ToolCaller", "ToolResult", "run_tool"]

logger = logging.getLogger(__name__)

MAX_GOALS: Final = 20
MAX_CHECKINS: Final = 30
MAX_CHECKIN_DAYS: Final = 30
MAX_PARTNERS: Final = 10
MAX_ACHIEVEMENTS: Final = 20
PREMIUM_PLAN: Final = "premium"
_NO_PARAMETERS: Final = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True, slots=True)
class ToolCaller:
    """Whose data a tool reads, and their local today."""

    user_id: UUID
    plan: str
    today: date
    now: datetime


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What goes back to the model (JSON text) and what the record keeps (name, rows, error)."""

    content: str
    record: dict[str, Any]


class _BadCall(ValueError):
    """The model's call cannot be run as written; the message goes back to it."""


def _schedule(frequency_type: str, frequency_count: int) -> str:
    return "daily" if frequency_type == "daily" else f"{frequency_count}x per week"


async def _goals(
    connection: AsyncConnection, caller: ToolCaller, _args: Mapping[str, Any]
) -> list[dict[str, Any]]:
    rows = await list_goals(
        connection, caller.user_id, now=caller.now, active_only=False, with_today_status=True, limit=MAX_GOALS
    )
    return [
        {
            "title": goal.title,
            "status": goal.status,
            "schedule": _schedule(goal.frequency_type, goal.frequency_count),
            "current_streak": goal.current_streak,
            "longest_streak": goal.longest_streak,
            "total_completions": goal.total_completions,
            "completions_this_week": goal.week_completions,
            "today": goal.today_status or "not checked in",
        }
        for goal in rows
    ]


async def _checkins(
    connection: AsyncConnection, caller: ToolCaller, args: Mapping[str, Any]
) -> list[dict[str, Any]]:
    days = args.get("days", 7)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_CHECKIN_DAYS:
        raise _BadCall(f"days must be a whole number from 1 to {MAX_CHECKIN_DAYS}")
    selection = CheckInFilter(
        user_id=caller.user_id,
        first_date=caller.today - timedelta(days=days - 1),
        last_date=caller.today,
        exclude_pending=True,
    )
    rows = await checkin_page(connection, selection, limit=MAX_CHECKINS)
    goals = await list_goals(
        connection,
        caller.user_id,
        now=caller.now,
        active_only=False,
        with_today_status=False,
        limit=MAX_GOALS,
    )
    titles = {goal.id: goal.title for goal in goals}
    return [
        {
            "date": row.check_in_date.isoformat(),
            "goal": titles.get(row.goal_id, "an older goal"),
            "status": row.status,
            "mood": row.mood,
            "note": (row.note or "")[:100] or None,
        }
        for row in rows
    ]


async def _partners(
    connection: AsyncConnection, caller: ToolCaller, _args: Mapping[str, Any]
) -> list[dict[str, Any]]:
    views = await list_partners(
        connection,
        caller.user_id,
        PartnerListKind.ACCEPTED,
        now=caller.now,
        limit=MAX_PARTNERS,
        with_goals=True,
    )
    # Only what the partners screen shows any partner: first name, goal titles, streaks, logged today.
    return [
        {
            "partner": view.other_name.split(" ")[0] if view.other_name else "Partner",
            "goals": [
                {
                    "title": goal.title,
                    "current_streak": goal.current_streak,
                    "logged_today": goal.logged_today,
                }
                for goal in view.other_goals or ()
            ],
        }
        for view in views
    ]


async def _achievements(
    connection: AsyncConnection, caller: ToolCaller, _args: Mapping[str, Any]
) -> list[dict[str, Any]]:
    totals = await achievement_totals(connection, caller.user_id)
    unlocked = await user_achievement_page(connection, caller.user_id, limit=MAX_ACHIEVEMENTS)
    return [
        {"total_achievements": totals.total_achievements, "total_points": totals.total_points},
        *({"badge": row.badge_name, "unlocked_at": row.unlocked_at.date().isoformat()} for row in unlocked),
    ]


async def _feature_inventory(
    connection: AsyncConnection, caller: ToolCaller, _args: Mapping[str, Any]
) -> list[dict[str, Any]]:
    catalog = await plan_catalog(connection)
    mine = catalog.plan(caller.plan)
    premium = catalog.plan(PREMIUM_PLAN)
    have = {feature for feature in Feature if mine is not None and mine.feature_set().has(feature)}
    inventory: dict[str, Any] = {
        "user_plan": caller.plan,
        "is_premium": caller.plan == PREMIUM_PLAN,
        "available_features": sorted(have),
    }
    if caller.plan != PREMIUM_PLAN and premium is not None:
        premium_features = premium.feature_set()
        inventory["premium_only_features"] = sorted(
            feature for feature in Feature if premium_features.has(feature) and feature not in have
        )
    return [inventory]


_Run = Callable[[AsyncConnection, ToolCaller, Mapping[str, Any]], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class _Tool:
    spec: ToolSpec
    run: _Run


_TOOLS: Final = {
    tool.spec.name: tool
    for tool in (
        _Tool(
            ToolSpec(
                "get_goals",
                f"The user's goals (up to {MAX_GOALS}) with status, schedule, streaks and today's check-in.",
                _NO_PARAMETERS,
            ),
            _goals,
        ),
        _Tool(
            ToolSpec(
                "get_recent_checkins",
                f"The user's answered check-ins of the last `days` local days (up to {MAX_CHECKINS}), with "
                "status, mood and note.",
                {
                    "type": "object",
                    "properties": {"days": {"type": "integer", "minimum": 1, "maximum": MAX_CHECKIN_DAYS}},
                    "additionalProperties": False,
                },
            ),
            _checkins,
        ),
        _Tool(
            ToolSpec(
                "get_partner_progress",
                f"The user's partners (up to {MAX_PARTNERS}) and their goals' public progress.",
                _NO_PARAMETERS,
            ),
            _partners,
        ),
        _Tool(
            ToolSpec(
                "get_achievements",
                f"The user's badge totals and latest unlocked badges (up to {MAX_ACHIEVEMENTS}).",
                _NO_PARAMETERS,
            ),
            _achievements,
        ),
        _Tool(
            ToolSpec(
                "get_feature_inventory",
                "The features of the user's plan, and for free users what premium adds.",
                _NO_PARAMETERS,
            ),
            _feature_inventory,
        ),
    )
}
TOOLS: Final = tuple(tool.spec for tool in _TOOLS.values())


def _arguments(call: ToolCall, tool: _Tool) -> dict[str, Any]:
    try:
        args = json.loads(call.arguments or "{}")
    except json.JSONDecodeError as error:
        raise _BadCall(f"arguments are not valid JSON: {error.msg}") from None
    if not isinstance(args, dict):
        raise _BadCall("arguments must be a JSON object")
    unknown = set(args) - set(tool.spec.parameters.get("properties", {}))
    if unknown:
        raise _BadCall(f"unknown arguments: {sorted(unknown)}")
    return args


async def run_tool(connection: AsyncConnection, caller: ToolCaller, call: ToolCall) -> ToolResult:
    """Run one call for `caller`, or refuse it; never raises for anything the model wrote."""
    tool = _TOOLS.get(call.name)
    try:
        if tool is None:
            raise _BadCall(f"no tool named {call.name[:60]!r}; the tools are {sorted(_TOOLS)}")
        rows = await tool.run(connection, caller, _arguments(call, tool))
    except _BadCall as error:
        logger.info("coach tool refused user=%s tool=%.60s error=%s", caller.user_id, call.name, error)
        return ToolResult(
            json.dumps({"error": str(error)}), {"name": call.name[:60], "error": str(error), "rows": 0}
        )
    logger.info("coach tool user=%s tool=%s rows=%d", caller.user_id, call.name, len(rows))
    return ToolResult(json.dumps({"results": rows}), {"name": call.name, "rows": len(rows)})
