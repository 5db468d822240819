"""/challenges/{id}: check in, my check-ins, everyone's check-ins, edit and delete my check-in, and the
leaderboard (docs/domain.md §3.6, §5; paths of the 1870506 client's challenges.ts).

Reads answer 404 unless the caller may see the challenge (db/challenge_access.py). Lists are bare
arrays, keyset-paged with the next cursor in X-Next-Cursor. Leaderboard ranks are derived when read
(db/challenge_ranks.py): ties share a rank (1, 1, 3), then joined_at orders them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.challenge_scores.checking_in import (
    check_in,
    delete_own_check_in,
    edit_own_check_in,
    require_visible,
)
from api.challenge_scores.schemas import (
    ChallengeCheckInEditIn,
    ChallengeCheckInIn,
    ChallengeCheckInOut,
    ChallengeCheckInResultOut,
    CheckInDeletedOut,
    LeaderboardEntryOut,
)
from api.pagination import Cursor, Limit, decode_cursor, encode_cursor, page_of
from db.challenge_check_ins import CheckInPosition, ListedCheckIn, check_in_page
from db.challenge_ranks import LeaderboardEntry, LeaderboardPosition, leaderboard_page
from domain.errors import InvalidInput
from services.transaction import Transaction

LEADERBOARD_PAGE_SIZE: Final = 50
# A rank is a count of participants: a cursor's beyond PostgreSQL's integer is not one of ours.
MAX_RANK: Final = 2**31 - 1
# The app reads one page of check-ins per challenge: a whole month fits in the default.
CHECK_INS_PAGE_SIZE: Final = 100


class ChallengeScoresController(Controller):
    path = "/challenges"
    tags = ["challenges"]

    @post("/{challenge_id:uuid}/check-in", status_code=HTTP_201_CREATED)
    async def check_in(
        self,
        request: AuthRequest,
        data: JSONBody[ChallengeCheckInIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        challenge_id: FromPath[UUID],
    ) -> ChallengeCheckInResultOut:
        """Check in for the caller's local today: 403 for a non-participant, 400 unless the challenge
        is active and today lies within its dates, 400 `already_checked_in` the second time."""
        recorded = await check_in(
            tx, challenge_id=challenge_id, user_id=request.user.id, answer=data, now=now
        )
        return ChallengeCheckInResultOut.of(recorded)

    @get("/{challenge_id:uuid}/my-check-ins")
    async def my_check_ins(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        challenge_id: FromPath[UUID],
        limit: Limit = CHECK_INS_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> Response[list[ChallengeCheckInOut]]:
        """The caller's own check-ins, newest first."""
        return await _check_ins(
            tx.connection, request.user.id, challenge_id, mine=True, limit=limit, cursor=cursor
        )

    @get("/{challenge_id:uuid}/check-ins")
    async def check_ins(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        challenge_id: FromPath[UUID],
        limit: Limit = CHECK_INS_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> Response[list[ChallengeCheckInOut]]:
        """Every participant's check-ins, newest first; notes, mood and photo only on the caller's own."""
        return await _check_ins(
            tx.connection, request.user.id, challenge_id, mine=False, limit=limit, cursor=cursor
        )

    @put("/{challenge_id:uuid}/check-ins/{check_in_id:uuid}")
    async def edit(
        self,
        request: AuthRequest,
        data: JSONBody[ChallengeCheckInEditIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        challenge_id: FromPath[UUID],
        check_in_id: FromPath[UUID],
    ) -> ChallengeCheckInOut:
        """Change the notes, mood or photo of one's own check-in while the challenge is active."""
        row = await edit_own_check_in(
            tx,
            challenge_id=challenge_id,
            user_id=request.user.id,
            check_in_id=check_in_id,
            changes=data.changes(),
            now=now,
        )
        return ChallengeCheckInOut.of(row)

    @delete("/{challenge_id:uuid}/check-ins/{check_in_id:uuid}", status_code=HTTP_200_OK)
    async def remove(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        challenge_id: FromPath[UUID],
        check_in_id: FromPath[UUID],
    ) -> CheckInDeletedOut:
        """Delete one's own check-in while the challenge is active; its points come off (never below 0)."""
        deleted = await delete_own_check_in(
            tx, challenge_id=challenge_id, user_id=request.user.id, check_in_id=check_in_id
        )
        return CheckInDeletedOut(
            message="Check-in deleted.",
            check_in_id=check_in_id,
            points_deducted=deleted.points_deducted,
            remaining_check_ins=deleted.remaining_check_ins,
        )

    @get("/{challenge_id:uuid}/leaderboard")
    async def leaderboard(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        challenge_id: FromPath[UUID],
        limit: Limit = LEADERBOARD_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> Response[list[LeaderboardEntryOut]]:
        """By rank (ties share one: 1, 1, 3), then joined_at."""
        await require_visible(tx.connection, challenge_id, request.user.id)
        after = None
        if cursor is not None:
            rank, joined_at, user_id = decode_cursor(cursor, int, datetime, UUID)
            if not 1 <= rank <= MAX_RANK:
                raise InvalidInput("cursor is not valid for this list", code="invalid_cursor")
            after = LeaderboardPosition(rank, joined_at, user_id)
        rows = await leaderboard_page(tx.connection, challenge_id, limit=limit + 1, after=after)
        page = page_of(rows, limit, _leaderboard_cursor)
        return Response([LeaderboardEntryOut.of(entry) for entry in page.rows], headers=page.headers)


def _leaderboard_cursor(entry: LeaderboardEntry) -> str:
    return encode_cursor(entry.rank, entry.joined_at, entry.user_id)


async def _check_ins(
    connection: AsyncConnection,
    viewer: UUID,
    challenge_id: UUID,
    *,
    mine: bool,
    limit: int,
    cursor: str | None,
) -> Response[list[ChallengeCheckInOut]]:
    await require_visible(connection, challenge_id, viewer)
    after = None
    if cursor is not None:
        check_in_date, check_in_id = decode_cursor(cursor, date, UUID)
        after = CheckInPosition(check_in_date, check_in_id)
    rows = await check_in_page(
        connection, challenge_id, only_user=viewer if mine else None, limit=limit + 1, after=after
    )
    page = page_of(rows, limit, _check_in_cursor)
    return Response(
        [ChallengeCheckInOut.listed(item, viewer=viewer) for item in page.rows], headers=page.headers
    )


def _check_in_cursor(item: ListedCheckIn) -> str:
    return encode_cursor(item.row.check_in_date, item.row.id)
