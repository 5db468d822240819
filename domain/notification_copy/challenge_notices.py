"""Challenge notices: invite, cancelled, ending reminders and final results (§3.6, §3.10)."""

from datetime import date
from enum import StrEnum
from uuid import UUID

from domain.notification_copy import deep_links
from domain.notification_copy.content import NotificationContent, clip, human_date
from domain.notification_types import EntityType, NotificationType

__all__ = [
    "CancelReason",
    "EndingKind",
    "challenge_cancelled_notification",
    "challenge_ending_notification",
    "challenge_invite_notification",
    "challenge_result_notification",
]


class CancelReason(StrEnum):
    """challenges.cancelled_reason values set by the system; anything else is the creator's own text."""

    CREATOR_SUBSCRIPTION_EXPIRED = "creator_subscription_expired"
    NO_PARTICIPANTS = "no_participants"


class EndingKind(StrEnum):
    ENDING_SOON = "ending_soon"  # end_date = local today + 3
    FINAL_DAY = "final_day"  # end_date = local today


def challenge_invite_notification(
    challenge_id: UUID, challenge_title: str, invite_id: UUID, inviter_id: UUID, inviter_name: str
) -> NotificationContent:
    """ "<name> invited you to <title>"."""
    return NotificationContent(
        notification_type=NotificationType.CHALLENGE_INVITE,
        title="Challenge invite",
        body=f"{inviter_name} invited you to {challenge_title.strip()}.",
        data={
            "type": "challenge_invite",
            "challengeId": str(challenge_id),
            "inviteId": str(invite_id),
            "inviterId": str(inviter_id),
            "deepLink": deep_links.CHALLENGE_INVITES,
        },
        entity_type=EntityType.CHALLENGE,
        entity_id=challenge_id,
    )


def challenge_cancelled_notification(
    challenge_id: UUID, challenge_title: str, reason: str | None
) -> NotificationContent:
    """Cancelled: the creator's premium ended / nobody joined (to the creator) / the creator cancelled.

    ``reason`` is challenges.cancelled_reason as stored; it goes into ``data.reason`` unchanged.
    """
    title = challenge_title.strip()
    if reason == CancelReason.CREATOR_SUBSCRIPTION_EXPIRED:
        body = f"{title} was cancelled because its creator's Premium plan ended."
    elif reason == CancelReason.NO_PARTICIPANTS:
        body = f"Nobody joined {title} before the deadline, so it was cancelled."
    elif reason and reason.strip():
        body = clip(f"{title} was cancelled by its creator: {reason.strip()}", 150)
    else:
        body = f"{title} was cancelled by its creator."
    return NotificationContent(
        notification_type=NotificationType.CHALLENGE,
        title="Challenge cancelled",
        body=body,
        data={
            "type": "challenge_cancelled",
            "challenge_id": str(challenge_id),
            "reason": reason,
            "deepLink": deep_links.challenge_details(challenge_id),
        },
        entity_type=EntityType.CHALLENGE,
        entity_id=challenge_id,
    )


def challenge_ending_notification(
    challenge_id: UUID, challenge_title: str, kind: str, end_date: date
) -> NotificationContent:
    """ending_soon: ends in 3 days (with the date); final_day: today is the last day."""
    ending = EndingKind(kind)
    title = challenge_title.strip()
    if ending is EndingKind.ENDING_SOON:
        heading, body = "3 days to go", f"{title} ends in 3 days, on {human_date(end_date)}. Finish strong!"
    else:
        heading, body = "Last day!", f"Today is the last day of {title}. Make it count!"
    return NotificationContent(
        notification_type=NotificationType.CHALLENGE_ENDING,
        title=heading,
        body=body,
        data={
            "type": "challenge_reminder",
            "challengeId": str(challenge_id),
            "messageType": ending.value,
            "deepLink": deep_links.challenge_details(challenge_id),
        },
        entity_type=EntityType.CHALLENGE,
        entity_id=challenge_id,
    )


def challenge_result_notification(
    challenge_id: UUID, challenge_title: str, *, rank: int, points: int, is_winner: bool, winner_count: int
) -> NotificationContent:
    """Final result: a sole winner "you won", tied winners "it's a tie", everyone else
    "finished #rank with N points"."""
    title = challenge_title.strip()
    if is_winner and winner_count == 1:
        heading, body = "You won! 🏆", f"You won {title} with {points} points. Outstanding!"
    elif is_winner:
        heading, body = "It's a tie! 🏆", f"You share first place in {title} with {points} points."
    else:
        heading, body = "Challenge complete", f"{title} is over: you finished #{rank} with {points} points."
    return NotificationContent(
        notification_type=NotificationType.CHALLENGE_ENDED,
        title=heading,
        body=body,
        data={
            "type": "challenge_completed",
            "challengeId": str(challenge_id),
            "rank": rank,
            "points": points,
            "isWinner": is_winner,
            "deepLink": deep_links.challenge_details(challenge_id),
        },
        entity_type=EntityType.CHALLENGE,
        entity_id=challenge_id,
    )
