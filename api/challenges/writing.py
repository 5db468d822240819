"""Challenge writes by its creator (§3.6): create, edit, cancel, delete. Rules first, then the writes,
all in the request's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncConnection

from api.challenge_scores.checking_in import challenge_not_found
from api.challenges.schemas import CancelIn, ChallengeCreateIn, ChallengeEditIn
from db.challenge_lifecycle import cancel_challenge, delete_pending_invites
from db.challenge_members import insert_member
from db.challenges import (
    ChallengeRow,
    delete_lone_challenge,
    insert_challenge,
    locked_challenge,
    update_challenge,
    visible_challenge,
)
from db.plan_limits import plan_features_for
from db.users import user_timezones
from domain.challenge_rules import (
    ChallengeStatus,
    ChallengeType,
    challenge_dates,
    ensure_deadline_extension,
    ensure_participant_cap_raise,
    normalize_challenge_reminder_times,
    normalize_title,
    tracking_type_for,
)
from domain.errors import Forbidden, PlanLimitReached, RuleBroken
from domain.local_time import local_today
from domain.plans import Feature
from services.challenge_lifecycle import announce_cancellations
from services.transaction import Transaction


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


async def create_challenge(
    connection: AsyncConnection, me: UUID, data: ChallengeCreateIn, *, now: datetime
) -> ChallengeRow:
    """A premium creator's new upcoming challenge, in the creator's zone, with the creator as its first
    participant (and leaderboard row)."""
    features = await plan_features_for(connection, me)
    if not features.has(Feature.CHALLENGE_CREATE):
        raise PlanLimitReached("Creating challenges is a Premium feature.", code="challenge_create_required")
    timezone = (await user_timezones(connection, [me]))[me]
    title = normalize_title(data.title)
    end_date = challenge_dates(
        today=local_today(timezone, now),
        start_date=data.start_date,
        duration_days=data.duration_days,
        end_date=data.end_date,
        join_deadline=data.join_deadline,
    )
    if data.challenge_type == ChallengeType.CHECKIN_COUNT.value and data.target_checkins is None:
        raise RuleBroken("A check-in count challenge needs target_checkins.", code="target_checkins_required")
    description = _clean(data.description)
    category = _clean(data.category)
    challenge = await insert_challenge(
        connection,
        {
            "title": title,
            "description": description,
            "challenge_type": data.challenge_type,
            "duration_days": data.duration_days,
            "start_date": data.start_date,
            "end_date": end_date,
            "join_deadline": data.join_deadline,
            "timezone": timezone,
            "is_public": data.is_public,
            "max_participants": data.max_participants,
            "created_by": me,
            "category": category,
            "frequency": data.frequency,
            "days_of_week": sorted(set(data.days_of_week)) if data.days_of_week is not None else None,
            "target_days": data.target_days,
            "target_checkins": data.target_checkins,
            "reminder_times": normalize_challenge_reminder_times(data.reminder_times or []),
            "tracking_type": data.tracking_type or tracking_type_for(category, title, description),
            "metadata": data.metadata or {},
            # The request's instant (not the transaction's): the lists' keyset order is creation order.
            "created_at": now,
            "updated_at": now,
        },
    )
    await insert_member(connection, challenge.id, me, now=now)
    return challenge


async def _creators_challenge(connection: AsyncConnection, me: UUID, challenge_id: UUID) -> ChallengeRow:
    """The challenge locked for its creator's change: 404 when the caller cannot see it, 403 when they
    see it without having created it."""
    visible = await visible_challenge(connection, me, challenge_id)
    challenge = await locked_challenge(connection, challenge_id) if visible is not None else None
    if challenge is None:
        raise challenge_not_found()
    if challenge.created_by != me:
        raise Forbidden("Only the challenge's creator can do this.", code="not_challenge_creator")
    return challenge


async def edit_challenge(
    connection: AsyncConnection, me: UUID, challenge_id: UUID, data: ChallengeEditIn, *, now: datetime
) -> None:
    """Creator, upcoming only: title, description, a later join deadline, a higher participant limit,
    the reminder times (§3.6 Edit challenge)."""
    challenge = await _creators_challenge(connection, me, challenge_id)
    if challenge.status != ChallengeStatus.UPCOMING:
        raise RuleBroken("Only an upcoming challenge can be edited.", code="challenge_not_editable")
    changes: dict[str, Any] = {}
    if data.title is not UNSET:
        changes["title"] = normalize_title(data.title)
    if data.description is not UNSET:
        changes["description"] = _clean(data.description)
    if data.join_deadline is not UNSET:
        ensure_deadline_extension(
            current=challenge.join_deadline,
            start_date=challenge.start_date,
            end_date=challenge.end_date,
            requested=data.join_deadline,
        )
        changes["join_deadline"] = data.join_deadline
    if data.max_participants is not UNSET:
        ensure_participant_cap_raise(current=challenge.max_participants, requested=data.max_participants)
        changes["max_participants"] = data.max_participants
    if data.reminder_times is not UNSET:
        changes["reminder_times"] = normalize_challenge_reminder_times(data.reminder_times)
    if changes:
        await update_challenge(connection, challenge_id, changes, now=now)


async def cancel_as_creator(
    tx: Transaction, me: UUID, challenge_id: UUID, data: CancelIn, *, now: datetime
) -> int:
    """Creator only, while upcoming or active; the other participants are told. Returns how many were
    affected (0 when it was already cancelled)."""
    connection = tx.connection
    challenge = await _creators_challenge(connection, me, challenge_id)
    if challenge.status == ChallengeStatus.CANCELLED:
        return 0
    if challenge.status == ChallengeStatus.COMPLETED:
        raise RuleBroken("A finished challenge cannot be cancelled.", code="challenge_finished")
    reason = _clean(data.reason)
    cancelled = await cancel_challenge(connection, challenge_id, reason=reason, now=now)
    if cancelled is None:  # the row is locked: its status cannot have moved since the read
        raise RuntimeError("a locked open challenge was not cancelled")
    await delete_pending_invites(connection, [challenge_id])
    told = await announce_cancellations(tx, [cancelled], reason=reason, now=now)
    return told.inline + told.chunked


async def delete_unjoined(connection: AsyncConnection, me: UUID, challenge_id: UUID) -> None:
    """Creator only, and only while nobody else has joined (§3.6 Delete)."""
    await _creators_challenge(connection, me, challenge_id)
    if not await delete_lone_challenge(connection, challenge_id):
        raise RuleBroken("Others have joined this challenge: cancel it instead.", code="cancel_instead")
