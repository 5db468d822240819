"""Other users as a signed-in user sees them: the public profile and the stats (§3.13).

A blocked pair (either of the two blocked the other, §3.4) answers the same 404 as an unknown id, checked
at the top of `public_profile` and `user_stats`.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.users.schemas import PublicUserOut, UserStatsOut
from db.partnerships import blocked_between
from db.user_stats import user_totals
from db.users import fetch_public_profile
from domain.errors import NotFound


def _user_not_found() -> NotFound:
    return NotFound("User not found.", code="user_not_found")


async def _refuse_blocked(connection: AsyncConnection, user_id: UUID, viewer_id: UUID) -> None:
    if user_id != viewer_id and await blocked_between(connection, user_id, viewer_id):
        raise _user_not_found()


async def public_profile(connection: AsyncConnection, user_id: UUID, *, viewer_id: UUID) -> PublicUserOut:
    await _refuse_blocked(connection, user_id, viewer_id)
    profile = await fetch_public_profile(connection, user_id)
    if profile is None:
        raise _user_not_found()
    return PublicUserOut(
        id=profile.id,
        username=profile.username,
        name=profile.name,
        profile_picture_url=profile.profile_picture_url,
        bio=profile.bio,
        created_at=profile.created_at,
    )


async def user_stats(connection: AsyncConnection, user_id: UUID, *, viewer_id: UUID) -> UserStatsOut:
    """The user's stats; the private counts only for the user themself."""
    await _refuse_blocked(connection, user_id, viewer_id)
    totals = await user_totals(connection, user_id)
    if totals is None:
        raise _user_not_found()
    own = user_id == viewer_id
    return UserStatsOut(
        total_goals=totals.total_goals if own else None,
        # "Completed" is the app's word for goals that are no longer active (paused or archived).
        completed_goals=totals.total_goals - totals.active_goals if own else None,
        total_check_ins=totals.total_check_ins if own else None,
        current_streak=totals.current_streak,
        longest_streak=totals.longest_streak,
    )
