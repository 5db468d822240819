"""Editing today's answer: PUT /check-ins/{id} changes mood, note and (skipped rows) skip_reason (§3.2).

The status never changes after answering, and only the row of the owner's local today can be edited.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from api.checkins.schemas import CheckInUpdateIn, clean_note
from db.checkins import CheckInRow, edit_checkin, lock_checkin_to_edit
from domain.errors import NotFound, RuleBroken
from domain.local_time import local_today
from domain.streaks import ANSWERED_STATUSES, CheckInStatus, answer_status


async def edit_today(
    connection: AsyncConnection, *, user_id: UUID, checkin_id: UUID, update: CheckInUpdateIn, now: datetime
) -> CheckInRow:
    owned = await lock_checkin_to_edit(connection, user_id=user_id, checkin_id=checkin_id)
    if owned is None:
        raise NotFound("Check-in not found.", code="checkin_not_found")
    row = owned.row
    if row.status not in ANSWERED_STATUSES:
        raise RuleBroken("Only an answered check-in can be edited.", code="checkin_not_answered")
    if row.check_in_date != local_today(owned.timezone, now):
        raise RuleBroken("Only today's check-in can be edited.", code="checkin_not_today")
    _ensure_same_answer(update, row)
    changes = _changes(update, row)
    if not changes:
        return row
    edited = await edit_checkin(connection, user_id=user_id, checkin_id=checkin_id, changes=changes, now=now)
    if edited is None:  # the row is locked above, so it cannot have gone
        raise NotFound("Check-in not found.", code="checkin_not_found")
    return edited


def _ensure_same_answer(update: CheckInUpdateIn, row: CheckInRow) -> None:
    """The create fields the app repeats on an edit may restate the answer, never change it."""
    if update.goal_id is not msgspec.UNSET and update.goal_id != row.goal_id:
        raise RuleBroken("This check-in belongs to another goal.", code="checkin_goal_mismatch")
    if update.completed is msgspec.UNSET and update.is_rest_day is msgspec.UNSET:
        return
    # A restated answer is read against the row's status: a field left out agrees with it.
    completed, rest_day = update.completed, update.is_rest_day
    if completed is msgspec.UNSET:
        completed = row.status == CheckInStatus.COMPLETED
    if rest_day is msgspec.UNSET:
        rest_day = row.status == CheckInStatus.REST_DAY
    if answer_status(completed=completed, is_rest_day=rest_day) != row.status:
        raise RuleBroken(
            "An answered check-in keeps its answer; only mood, note and skip reason can change.",
            code="checkin_answer_locked",
        )


def _changes(update: CheckInUpdateIn, row: CheckInRow) -> dict[str, str | None]:
    changes: dict[str, str | None] = {}
    if update.mood is not msgspec.UNSET:
        changes["mood"] = update.mood
    note = update.note if update.note is not msgspec.UNSET else update.notes
    if note is not msgspec.UNSET:
        changes["note"] = clean_note(note)
    if update.skip_reason is not msgspec.UNSET:
        if update.skip_reason is not None and row.status != CheckInStatus.SKIPPED:
            raise RuleBroken(
                "A skip reason belongs to a skipped check-in only.", code="skip_reason_not_allowed"
            )
        changes["skip_reason"] = update.skip_reason
    return changes
