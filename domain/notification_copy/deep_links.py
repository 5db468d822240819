"""The app routes notices open (§3.10). G and C are the goal and challenge detail screens."""

from uuid import UUID

__all__ = [
    "ACHIEVEMENTS",
    "ACTIVITY",
    "CHALLENGE_INVITES",
    "HOME",
    "PARTNERS",
    "PARTNER_REQUESTS",
    "PROFILE_TAB",
    "TABS",
    "WEEKLY_RECAPS",
    "challenge_details",
    "goal_checkin",
    "goal_details",
    "partner_profile",
]

HOME = "/(user)/(tabs)/home"
TABS = "/(user)/(tabs)"
PROFILE_TAB = "/(user)/(tabs)/profile"
ACHIEVEMENTS = "/(user)/profile/achievements"
PARTNERS = "/(user)/profile/partners"
PARTNER_REQUESTS = "/(user)/profile/partners?tab=received"
ACTIVITY = "/(user)/profile/activity"
WEEKLY_RECAPS = "/(user)/profile/weekly-recaps"
CHALLENGE_INVITES = "/(user)/challenges/invites"


def goal_details(goal_id: UUID) -> str:
    """G: the goal's detail screen."""
    return f"/(user)/(goals)/details?id={goal_id}"


def goal_checkin(goal_id: UUID) -> str:
    """G with the check-in sheet open (check-in prompt and follow-up)."""
    return f"{goal_details(goal_id)}&openCheckIn=true"


def challenge_details(challenge_id: UUID) -> str:
    """C: the challenge's detail screen."""
    return f"/(user)/challenges/{challenge_id}"


def partner_profile(partner_user_id: UUID, partnership_id: UUID) -> str:
    """A partner's profile (partner_accepted opens the accepter's)."""
    return f"/(user)/profile/partner/{partner_user_id}?partnershipId={partnership_id}"
