"""Challenge reads: the detail, the three lists, the participants and the invite inboxes. Each is one
statement, keyset-paged newest first (participants: in the order they joined)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.challenge_scores.checking_in import challenge_not_found
from api.challenges.schemas import ChallengeDetailOut, ChallengeSummaryOut, InviteOut, ParticipantOut
from api.challenges.views import detail_out, invite_out, participant_out, summary_out
from api.pagination import Page, decode_cursor, encode_cursor, page_of
from db.challenge_invites import InviteEntry, invite_page
from db.challenge_members import ParticipantEntry, participant_page
from db.challenges import (
    ChallengeListFilter,
    ChallengeView,
    challenge_page,
    challenge_view,
    visible_challenge,
)


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    instant, row_id = decode_cursor(cursor, datetime, UUID)
    return instant, row_id


async def read_detail(connection: AsyncConnection, me: UUID, challenge_id: UUID) -> ChallengeDetailOut:
    view = await challenge_view(connection, me, challenge_id)
    if view is None:
        raise challenge_not_found()
    return detail_out(view, me)


async def read_challenge_page(
    connection: AsyncConnection,
    me: UUID,
    which: ChallengeListFilter,
    *,
    limit: int,
    cursor: str | None,
) -> Page[ChallengeSummaryOut]:
    rows = await challenge_page(connection, me, which, limit=limit + 1, after=_after(cursor))

    def cursor_of(view: ChallengeView) -> str:
        return encode_cursor(view.challenge.created_at, view.challenge.id)

    page = page_of(rows, limit, cursor_of)
    return Page(rows=[summary_out(view, me) for view in page.rows], next_cursor=page.next_cursor)


async def read_participants(
    connection: AsyncConnection,
    me: UUID,
    challenge_id: UUID,
    *,
    limit: int,
    cursor: str | None,
) -> Page[ParticipantOut]:
    if await visible_challenge(connection, me, challenge_id) is None:
        raise challenge_not_found()
    rows = await participant_page(connection, challenge_id, limit=limit + 1, after=_after(cursor))

    def cursor_of(entry: ParticipantEntry) -> str:
        return encode_cursor(entry.joined_at, entry.id)

    page = page_of(rows, limit, cursor_of)
    return Page(rows=[participant_out(entry) for entry in page.rows], next_cursor=page.next_cursor)


async def read_invites(
    connection: AsyncConnection,
    me: UUID,
    *,
    received: bool,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[InviteOut]:
    rows = await invite_page(
        connection, me, received=received, now=now, limit=limit + 1, after=_after(cursor)
    )

    def cursor_of(entry: InviteEntry) -> str:
        return encode_cursor(entry.invite.created_at, entry.invite.id)

    page = page_of(rows, limit, cursor_of)
    return Page(
        rows=[invite_out(entry, received=received) for entry in page.rows], next_cursor=page.next_cursor
    )
