"""/challenges routes (docs/domain.md §3.6, §5), in the 1870506 client's paths and shapes. Handlers are
thin: the caller from the token, the request's transaction and `now`, then reading.py, writing.py,
joining.py or invites.py. Check-ins and the leaderboard are in their own controller.

The client reads each list whole without paging parameters: a default page holds any real list, and a
longer one continues through X-Next-Cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.challenges.invites import create_link, decline_invite, invite_user, revoke_invite
from api.challenges.joining import accept_invite, join_by_code, join_by_id, leave
from api.challenges.reading import (
    read_challenge_page,
    read_detail,
    read_invites,
    read_participants,
)
from api.challenges.schemas import (
    CancelIn,
    CancelOut,
    ChallengeCreateIn,
    ChallengeDetailOut,
    ChallengeEditIn,
    ChallengeOut,
    ChallengeRefOut,
    ChallengeSummaryOut,
    InviteIn,
    InviteLinkOut,
    InviteOut,
    InviteSentOut,
    JoinedOut,
    JoinOut,
    MessageOut,
    ParticipantOut,
)
from api.challenges.views import challenge_out
from api.challenges.writing import cancel_as_creator, create_challenge, delete_unjoined, edit_challenge
from api.errors import error_response
from api.pagination import MAX_LIMIT, Cursor, Limit
from api.partners.requests import CommittedRefusal
from api.resources import app_resources
from db.challenge_ranks import standing_of
from db.challenges import ChallengeListFilter
from domain.challenge_rules import LINK_INVITE_TTL
from services.product_events import ProductEvent, track_after_commit
from services.transaction import Transaction

LIST_DEFAULT_LIMIT = 50
# Created and joined challenges, participants and invites: read whole by the app.
OWN_DEFAULT_LIMIT = MAX_LIMIT
StatusName = Literal["upcoming", "active", "completed", "cancelled"]
StatusFilter = Annotated[StatusName | None, QueryParameter()]
# Link codes are 12 characters; anything much longer names no invite.
InviteCode = Annotated[str, PathParameter(max_length=64)]


class ChallengesController(Controller):
    path = "/challenges"
    tags = ["challenges"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self,
        request: AuthRequest,
        data: JSONBody[ChallengeCreateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ChallengeOut:
        """Premium only (403 otherwise); the creator is its first participant."""
        return challenge_out(await create_challenge(tx.connection, request.user.id, data, now=now))

    @get("/")
    async def list_challenges(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        is_public: FromQuery[bool | None] = None,
        status: StatusFilter = None,
        my_challenges: FromQuery[bool] = False,
        limit: Limit = LIST_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[ChallengeSummaryOut]]:
        """Public challenges and the caller's own, newest first; cancelled ones only when `status` asks."""
        which = ChallengeListFilter(mine=my_challenges, public=is_public, status=status)
        return await _list(single_read, request, which, limit, cursor)

    @get("/my")
    async def my_challenges(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        status: StatusFilter = None,
        limit: Limit = OWN_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[ChallengeSummaryOut]]:
        """Created or joined, with the caller's rank and progress."""
        which = ChallengeListFilter(mine=True, status=status)
        return await _list(single_read, request, which, limit, cursor)

    @get("/public")
    async def public_challenges(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        status: StatusFilter = None,
        limit: Limit = LIST_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[ChallengeSummaryOut]]:
        which = ChallengeListFilter(public=True, status=status)
        return await _list(single_read, request, which, limit, cursor)

    @get("/{challenge_id:uuid}")
    async def detail(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        single_read: NamedDependency[AsyncConnection],
    ) -> ChallengeDetailOut:
        """404 when the caller may not see it (§3.6 Visibility)."""
        return await read_detail(single_read, request.user.id, challenge_id)

    @patch("/{challenge_id:uuid}/edit")
    async def edit(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        data: JSONBody[ChallengeEditIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ChallengeDetailOut:
        """Creator only, while upcoming."""
        await edit_challenge(tx.connection, request.user.id, challenge_id, data, now=now)
        return await read_detail(tx.connection, request.user.id, challenge_id)

    @delete("/{challenge_id:uuid}", status_code=HTTP_200_OK)
    async def remove(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
    ) -> MessageOut:
        """Creator only, while nobody else has joined (400 `cancel_instead`)."""
        await delete_unjoined(tx.connection, request.user.id, challenge_id)
        return MessageOut(message="Challenge deleted.")

    @post("/{challenge_id:uuid}/cancel", status_code=HTTP_200_OK)
    async def cancel_challenge(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        data: JSONBody[CancelIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> CancelOut:
        """Creator only; the other participants are told."""
        affected = await cancel_as_creator(tx, request.user.id, challenge_id, data, now=now)
        return CancelOut(
            message="Challenge cancelled.", challenge_id=challenge_id, participants_affected=affected
        )

    @post("/{challenge_id:uuid}/join", status_code=HTTP_200_OK)
    async def join(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> JoinOut:
        """400 for a broken join rule, 403 at the plan's challenge_limit."""
        member = await join_by_id(tx.connection, request.user.id, challenge_id, now=now)
        _track_join(tx, request, challenge_id, via="challenge")
        standing = await standing_of(tx.connection, member.challenge_id, member.user_id)
        if standing is None:  # the membership was inserted in this very transaction
            raise RuntimeError("a new member has no leaderboard row")
        return JoinOut(
            id=member.id,
            challenge_id=member.challenge_id,
            user_id=member.user_id,
            joined_at=member.joined_at,
            completed_at=member.completed_at,
            points=standing.points,
            rank=standing.rank,
        )

    @post("/{challenge_id:uuid}/leave", status_code=HTTP_200_OK)
    async def leave_challenge(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
    ) -> MessageOut:
        await leave(tx.connection, request.user.id, challenge_id)
        return MessageOut(message="You left the challenge.")

    @get("/{challenge_id:uuid}/participants")
    async def participants(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        limit: Limit = OWN_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[ParticipantOut]]:
        page = await read_participants(
            tx.connection, request.user.id, challenge_id, limit=limit, cursor=cursor
        )
        return Response(list(page.rows), headers=page.headers)

    @post("/{challenge_id:uuid}/invite", status_code=HTTP_200_OK)
    async def invite(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        data: JSONBody[InviteIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> InviteSentOut:
        """A direct invite, valid 7 days; the invitee gets a challenge_invite notice."""
        invite_id = await invite_user(tx, request.user.id, challenge_id, data.user_id, now=now)
        return InviteSentOut(message="Invite sent.", invite_id=invite_id)

    @post("/{challenge_id:uuid}/invite-link", status_code=HTTP_200_OK)
    async def create_invite_link(
        self,
        request: AuthRequest,
        challenge_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> InviteLinkOut:
        """A shareable link, valid 30 days, that admits one joiner."""
        code, link = await create_link(tx.connection, request.user.id, challenge_id, now=now)
        return InviteLinkOut(invite_code=code, invite_link=link, expires_in_days=LINK_INVITE_TTL.days)

    @post("/join/{invite_code:str}", status_code=HTTP_200_OK)
    async def join_with_code(
        self,
        request: AuthRequest,
        invite_code: InviteCode,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        try:
            challenge = await join_by_code(tx.connection, request.user.id, invite_code, now=now)
        except CommittedRefusal as refusal:
            # Returned, not raised: the invite's expiry commits with this answer.
            return error_response(400, refusal.detail, refusal.code)
        _track_join(tx, request, challenge.id, via="link")
        return Response(_joined(challenge.id, challenge.title))

    @get("/invites/received")
    async def invites_received(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        limit: Limit = OWN_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[InviteOut]]:
        """Pending, unexpired invites to the caller, newest first."""
        page = await read_invites(
            single_read, request.user.id, received=True, now=now, limit=limit, cursor=cursor
        )
        return Response(list(page.rows), headers=page.headers)

    @get("/invites/sent")
    async def invites_sent(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        limit: Limit = OWN_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[InviteOut]]:
        """Pending, unexpired invites the caller sent (unused links too), newest first."""
        page = await read_invites(
            single_read, request.user.id, received=False, now=now, limit=limit, cursor=cursor
        )
        return Response(list(page.rows), headers=page.headers)

    @post("/invites/{invite_id:uuid}/accept", status_code=HTTP_200_OK)
    async def accept(
        self,
        request: AuthRequest,
        invite_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """The full join rules, expiry and plan limit included."""
        try:
            challenge = await accept_invite(tx.connection, request.user.id, invite_id, now=now)
        except CommittedRefusal as refusal:
            return error_response(400, refusal.detail, refusal.code)
        _track_join(tx, request, challenge.id, via="invite")
        return Response(_joined(challenge.id, challenge.title))

    @post("/invites/{invite_id:uuid}/decline", status_code=HTTP_200_OK)
    async def decline(
        self,
        request: AuthRequest,
        invite_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await decline_invite(tx.connection, request.user.id, invite_id, now=now)
        return MessageOut(message="Invite declined.")

    @delete("/invites/{invite_id:uuid}", status_code=HTTP_200_OK)
    async def revoke(
        self,
        request: AuthRequest,
        invite_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        """The sender deletes a pending invite."""
        await revoke_invite(tx.connection, request.user.id, invite_id, now=now)
        return MessageOut(message="Invite cancelled.")


def _track_join(tx: Transaction, request: AuthRequest, challenge_id: UUID, *, via: str) -> None:
    events = app_resources(request.app).product_events
    track_after_commit(
        tx, events, request.user.id, ProductEvent.CHALLENGE_JOINED, challenge_id=str(challenge_id), via=via
    )


def _joined(challenge_id: UUID, title: str) -> JoinedOut:
    return JoinedOut(
        message="You joined the challenge.", challenge=ChallengeRefOut(id=challenge_id, title=title)
    )


async def _list(
    connection: AsyncConnection,
    request: AuthRequest,
    which: ChallengeListFilter,
    limit: int,
    cursor: str | None,
) -> Response[list[ChallengeSummaryOut]]:
    page = await read_challenge_page(connection, request.user.id, which, limit=limit, cursor=cursor)
    return Response(list(page.rows), headers=page.headers)
