"""Rows → response bodies of /challenges."""

from __future__ import annotations

from uuid import UUID

from api.challenges.schemas import (
    ChallengeDetailOut,
    ChallengeOut,
    ChallengeSummaryOut,
    InviteChallengeOut,
    InviteOut,
    ParticipantOut,
    UserRefOut,
)
from api.structs import struct_from_row
from db.challenge_invites import InviteEntry
from db.challenge_members import ParticipantEntry
from db.challenges import ChallengeRow, ChallengeView
from domain.challenge_rules import target_value


def challenge_out(row: ChallengeRow) -> ChallengeOut:
    return struct_from_row(ChallengeOut, row, creator_id=row.created_by)


def _summary_fields(view: ChallengeView, me: UUID) -> dict[str, object]:
    row = view.challenge
    return {
        "creator_id": row.created_by,
        # A partner's read-only view hides the participants' reminder times (§3.6 Visibility).
        "reminder_times": [] if view.is_partner_view else row.reminder_times,
        "target_value": target_value(row.challenge_type, row.duration_days, row.target_checkins),
        "participants_count": view.participants_count,
        "is_creator": row.created_by == me,
        "is_participant": view.is_participant,
        "my_progress": view.my_points,
        "my_rank": view.my_rank,
    }


def summary_out(view: ChallengeView, me: UUID) -> ChallengeSummaryOut:
    return struct_from_row(ChallengeSummaryOut, view.challenge, **_summary_fields(view, me))


def detail_out(view: ChallengeView, me: UUID) -> ChallengeDetailOut:
    row = view.challenge
    creator = (
        UserRefOut(
            id=row.created_by,
            name=view.creator_name,
            username=view.creator_username,
            profile_picture_url=view.creator_picture,
        )
        if row.created_by is not None
        else None
    )
    return struct_from_row(
        ChallengeDetailOut,
        row,
        **_summary_fields(view, me),
        creator=creator,
        is_partner_view=view.is_partner_view,
    )


def participant_out(entry: ParticipantEntry) -> ParticipantOut:
    user = UserRefOut(
        id=entry.user_id,
        name=entry.name,
        username=entry.username,
        profile_picture_url=entry.profile_picture_url,
    )
    return struct_from_row(ParticipantOut, entry, user=user)


def invite_out(entry: InviteEntry, *, received: bool) -> InviteOut:
    invite = entry.invite
    other = (
        UserRefOut(
            id=entry.other_id,
            name=entry.other_name,
            username=entry.other_username,
            profile_picture_url=entry.other_picture,
        )
        if entry.other_id is not None
        else None
    )
    challenge = InviteChallengeOut(
        id=invite.challenge_id,
        title=entry.challenge_title,
        description=entry.challenge_description,
        start_date=entry.challenge_start_date,
        end_date=entry.challenge_end_date,
        is_public=entry.challenge_is_public,
        challenge_type=entry.challenge_type,
        status=entry.challenge_status,
    )
    return struct_from_row(
        InviteOut,
        invite,
        challenge=challenge,
        inviter=other if received else None,
        invitee=None if received else other,
    )
