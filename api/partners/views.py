"""How partnership rows, found users and partner goals are shown (docs/domain.md §5 Partner)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from api.partners.allowance import has_partner_feature
from api.partners.schemas import FoundUserOut, PartnerOut, PartnerUserOut, TodayGoalOut
from db.partner_lists import PartnerGoal, PartnerView
from db.partner_search import Candidate
from db.partnerships import PartnershipStatus
from db.plans import PlanCatalog
from domain.schedule import is_scheduled


def scheduled_today(goal: PartnerGoal) -> bool:
    return is_scheduled(goal.frequency_type, goal.target_days, goal.owner_today)


def user_streak(goals: Sequence[PartnerGoal]) -> int:
    """The user streak (§3.3): the highest current streak among active goals."""
    return max((goal.current_streak for goal in goals), default=0)


def partner_out(view: PartnerView, me: UUID, catalog: PlanCatalog) -> PartnerOut:
    """The row as `me` sees it; when the view carries the partner's goals (include_today_goals),
    also the partner's day."""
    row = view.partnership
    extra: dict[str, object] = {}
    if view.other_goals is not None:
        goals = view.other_goals
        extra = {
            "overall_streak": user_streak(goals),
            "today_goals": [
                TodayGoalOut(
                    id=goal.id,
                    title=goal.title,
                    logged_today=goal.logged_today,
                    is_scheduled_today=scheduled_today(goal),
                )
                for goal in goals
            ],
            "logged_today": any(goal.logged_today for goal in goals),
        }
    return PartnerOut(
        id=row.id,
        user_id=me,
        partner_user_id=view.other_id,
        partner=PartnerUserOut(
            id=view.other_id,
            name=view.other_name,
            username=view.other_username,
            profile_picture_url=view.other_picture,
            is_active=view.other_active,
            has_partner_feature=has_partner_feature(catalog, view.other_plan),
        ),
        status=row.status,
        initiated_by_user_id=row.initiated_by_user_id,
        created_at=row.created_at,
        accepted_at=row.accepted_at,
        expires_at=row.expires_at,
        has_active_items=view.other_has_active_goals,
        **extra,  # type: ignore[arg-type]
    )


def _request_status(candidate: Candidate, me: UUID) -> str:
    if candidate.partnership_status == PartnershipStatus.ACCEPTED:
        return "accepted"
    if candidate.partnership_status == PartnershipStatus.PENDING:
        return "sent" if candidate.partnership_sender == me else "received"
    return "none"


def _match_reasons(candidate: Candidate) -> list[str]:
    reasons = []
    if candidate.goal_score:
        reasons.append("Similar goals")
    if (candidate.frequency_score or 0) >= 20:
        reasons.append("Similar schedule")
    if (candidate.timezone_score or 0) >= 25:
        reasons.append("Same timezone")
    elif (candidate.timezone_score or 0) >= 18.75:  # within 3 hours
        reasons.append("Nearby timezone")
    if (candidate.streak_score or 0) >= 7:
        reasons.append("Similar streak")
    return reasons


def found_user_out(candidate: Candidate, me: UUID, *, suggested: bool) -> FoundUserOut:
    status = _request_status(candidate, me)
    scored: dict[str, object] = {}
    if suggested:
        scored = {
            "match_score": candidate.match_score,
            "match_reasons": _match_reasons(candidate),
            "matched_goals": candidate.matched_goals or [],
        }
    return FoundUserOut(
        id=candidate.id,
        name=candidate.name,
        username=candidate.username,
        profile_picture_url=candidate.profile_picture_url,
        last_active_at=candidate.last_active_at,
        is_partner=status == "accepted",
        has_pending_request=status in ("sent", "received"),
        request_status=status,  # type: ignore[arg-type]
        partnership_id=candidate.partnership_id if status != "none" else None,
        **scored,  # type: ignore[arg-type]
    )
