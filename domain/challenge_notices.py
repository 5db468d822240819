"""Challenge notices to participants (§3.6, §3.10) as values a worker message can carry.

A :class:`ChallengeNotice` says what one challenge tells its participants (cancelled, an ending
reminder, the final result); a :class:`Recipient` is one participant (with their final rank and points
for a result). `notice_content` turns the pair into the inbox content and its dedupe key, so the
inline path and the fan-out actor (services/challenge_notices.py) build exactly the same notice, and a
retried chunk writes nothing twice. Both travel in messages as JSON (`to_payload` / `from_payload`):
ids and small values only.

The texts themselves are in domain/notification_copy/challenge_notices.py (re-exported here, with the
invite notice, which always has one recipient and goes through notify() directly).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.dedupe_keys import (
    challenge_cancelled_key,
    challenge_ending_key,
    challenge_invite_key,
    challenge_result_key,
)
from domain.notification_copy.challenge_notices import (
    CancelReason,
    EndingKind,
    challenge_cancelled_notification,
    challenge_ending_notification,
    challenge_invite_notification,
    challenge_result_notification,
)
from domain.notification_copy.content import NotificationContent

__all__ = [
    "CancelReason",
    "ChallengeNotice",
    "EndingKind",
    "NoticeKind",
    "Recipient",
    "challenge_invite_key",
    "challenge_invite_notification",
    "is_winner",
    "notice_content",
]


class NoticeKind(StrEnum):
    CANCELLED = "cancelled"
    ENDING = "ending"
    RESULT = "result"


def is_winner(rank: int, points: int) -> bool:
    """A winner shares first place with more than 0 points (§3.6 Finish): nobody wins on zero."""
    return rank == 1 and points > 0


@dataclass(frozen=True, slots=True)
class ChallengeNotice:
    """One notice of one challenge to many participants; build it with the class methods."""

    kind: NoticeKind
    challenge_id: UUID
    title: str
    reason: str | None = None  # cancelled: challenges.cancelled_reason as stored
    ending: EndingKind | None = None  # ending
    end_date: date | None = None  # ending
    winner_count: int = 0  # result: participants at rank 1 with points > 0 (a tie when > 1)

    @classmethod
    def cancelled(cls, challenge_id: UUID, title: str, reason: str | None) -> ChallengeNotice:
        return cls(NoticeKind.CANCELLED, challenge_id, title, reason=reason)

    @classmethod
    def ending_reminder(
        cls, challenge_id: UUID, title: str, ending: EndingKind, end_date: date
    ) -> ChallengeNotice:
        return cls(NoticeKind.ENDING, challenge_id, title, ending=ending, end_date=end_date)

    @classmethod
    def result(cls, challenge_id: UUID, title: str, winner_count: int) -> ChallengeNotice:
        return cls(NoticeKind.RESULT, challenge_id, title, winner_count=winner_count)

    def to_payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "challenge_id": str(self.challenge_id),
            "title": self.title,
            "reason": self.reason,
            "ending": self.ending.value if self.ending else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "winner_count": self.winner_count,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ChallengeNotice:
        return cls(
            kind=NoticeKind(payload["kind"]),
            challenge_id=UUID(payload["challenge_id"]),
            title=payload["title"],
            reason=payload["reason"],
            ending=EndingKind(payload["ending"]) if payload["ending"] else None,
            end_date=date.fromisoformat(payload["end_date"]) if payload["end_date"] else None,
            winner_count=int(payload["winner_count"]),
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """A participant to notify; `rank` and `points` matter only for a result notice."""

    user_id: UUID
    rank: int = 0
    points: int = 0

    def to_payload(self) -> list[Any]:
        return [str(self.user_id), self.rank, self.points]

    @classmethod
    def from_payload(cls, payload: list[Any]) -> Recipient:
        user_id, rank, points = payload
        return cls(UUID(user_id), int(rank), int(points))


def notice_content(notice: ChallengeNotice, recipient: Recipient) -> tuple[NotificationContent, str]:
    """The recipient's notice and its dedupe key (once per challenge and participant, per kind)."""
    challenge_id, user_id = notice.challenge_id, recipient.user_id
    if notice.kind is NoticeKind.CANCELLED:
        return (
            challenge_cancelled_notification(challenge_id, notice.title, notice.reason),
            challenge_cancelled_key(challenge_id, user_id),
        )
    if notice.kind is NoticeKind.ENDING:
        if notice.ending is None or notice.end_date is None:
            raise ValueError("an ending reminder needs its kind and end date")
        return (
            challenge_ending_notification(challenge_id, notice.title, notice.ending, notice.end_date),
            challenge_ending_key(challenge_id, user_id, notice.ending),
        )
    return (
        challenge_result_notification(
            challenge_id,
            notice.title,
            rank=recipient.rank,
            points=recipient.points,
            is_winner=is_winner(recipient.rank, recipient.points),
            winner_count=notice.winner_count,
        ),
        challenge_result_key(challenge_id, user_id),
    )
