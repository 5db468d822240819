"""Other users as a signed-in user sees them: the public profile and the stats (§3.13).

Blocking arrives with partners: its check belongs at the top of `public_profile` and `user_stats`,
where a blocked pair then answers the same 404 as an unknown id.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.users.schemas import PublicUserOut, UserStatsOut
from db.user_stats import user_totals
from db.users import fetch_public_profile
from domain.errors import NotFound


def _user_not_found() -> NotFound:
    return NotFound("User not found.", code="user_not_found")


async def public_profile(connection: AsyncConnection, user_id: UUID) -> PublicUserOut:
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
