"""/partners routes (docs/domain.md §3.4, §5). Handlers are thin: the caller from the token, the
request's transaction and `now`, then reading.py, requests.py or reports.py. The lists, the limits,
search, suggestions and the dashboard are one statement each (plus the cached plan catalogue), so
they read outside a transaction (`single_read`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.request import AuthRequest
from api.errors import error_response
from api.pagination import MAX_LIMIT, Cursor, Limit, PageNumber
from api.partners.reading import (
    read_dashboard,
    read_limits,
    read_partner_page,
    read_search,
    read_suggestions,
)
from api.partners.reports import report_user
from api.partners.requests import (
    CommittedRefusal,
    accept_request,
    block_partnership,
    cancel_request,
    reject_request,
    remove_partner,
    send_request,
    unblock,
)
from api.partners.schemas import (
    FoundUsersOut,
    MessageOut,
    PartnerDashboardOut,
    PartnerLimitsOut,
    PartnerOut,
    PartnerRequestIn,
    ReportIn,
    ReportOut,
)
from api.partners.views import partner_out
from api.resources import app_resources
from db.partner_lists import PartnerListKind
from db.plans import plan_catalog
from services.product_events import ProductEvent, track_after_commit
from services.transaction import Transaction

# The other lists (requests received and sent, blocks) are read whole by the app; a page this long
# holds any real one, and a longer one continues through X-Next-Cursor.
REQUESTS_DEFAULT_LIMIT = 100
# What the app asks for on its search and suggestion screens.
FOUND_DEFAULT_LIMIT = 20
# `query` is the app's name for it (a reserved word for Litestar handlers, hence the alias).
SearchText = Annotated[str, QueryParameter(name="query", max_length=100)]
# GET /partners without a limit: every accepted partner.
OptionalLimit = Annotated[int | None, QueryParameter(ge=1, le=MAX_LIMIT)]


class PartnersController(Controller):
    path = "/partners"
    tags = ["partners"]

    @get("/")
    async def list_partners(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        include_today_goals: FromQuery[bool] = False,
        limit: OptionalLimit = None,
        cursor: Cursor = None,
    ) -> Response[list[PartnerOut]]:
        """Accepted partners, newest first. The app sends no limit and reads the whole list: then
        every accepted partner comes back (the plan's partner limit keeps it short)."""
        page = await read_partner_page(
            single_read,
            request.user.id,
            PartnerListKind.ACCEPTED,
            now=now,
            limit=limit,
            cursor=cursor,
            include_today_goals=include_today_goals,
        )
        return Response(list(page.rows), headers=page.headers)

    @get("/limits")
    async def limits(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
    ) -> PartnerLimitsOut:
        return await read_limits(single_read, request.user.id, now=now)

    @get("/pending")
    async def pending(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        limit: Limit = REQUESTS_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[PartnerOut]]:
        """Requests sent to the caller that have not expired."""
        return await _list(single_read, request.user.id, PartnerListKind.RECEIVED, now, limit, cursor)

    @get("/sent")
    async def sent(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        limit: Limit = REQUESTS_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[PartnerOut]]:
        return await _list(single_read, request.user.id, PartnerListKind.SENT, now, limit, cursor)

    @get("/blocked")
    async def blocked(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        limit: Limit = REQUESTS_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[PartnerOut]]:
        """The rows the caller blocked (a block by the other user is not shown to the blocked)."""
        return await _list(single_read, request.user.id, PartnerListKind.BLOCKED, now, limit, cursor)

    @get("/search")
    async def search(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        text: SearchText,
        page: PageNumber = None,
        limit: Limit = FOUND_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> FoundUsersOut:
        return await read_search(
            single_read,
            request.user.id,
            text,
            now=now,
            page=page or 1,
            limit=limit,
            cursor=cursor,
        )

    @get("/suggested")
    async def suggested(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
        page: PageNumber = None,
        limit: Limit = FOUND_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> FoundUsersOut:
        return await read_suggestions(
            single_read,
            request.user.id,
            now=now,
            page=page or 1,
            limit=limit,
            cursor=cursor,
        )

    @post("/request", status_code=HTTP_201_CREATED)
    async def send_request(
        self,
        request: AuthRequest,
        data: JSONBody[PartnerRequestIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> PartnerOut:
        ttl = timedelta(days=app_resources(request.app).settings.partner_request_ttl_days)
        view = await send_request(tx, request.user.id, data.partner_user_id, now=now, ttl=ttl)
        return partner_out(view, request.user.id, await plan_catalog(tx.connection))

    @post("/{partnership_id:uuid}/accept", status_code=HTTP_200_OK)
    async def accept(
        self,
        request: AuthRequest,
        partnership_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        resources = app_resources(request.app)
        try:
            inactive_days = resources.settings.partner_inactive_days
            await accept_request(tx, request.user.id, partnership_id, now=now, inactive_days=inactive_days)
        except CommittedRefusal as refusal:
            # Returned, not raised: the request's deletion commits with this answer.
            return error_response(400, refusal.detail, refusal.code, extra=dict(refusal.extra))
        track_after_commit(tx, resources.product_events, request.user.id, ProductEvent.PARTNER_ACCEPTED)
        return Response(MessageOut(message="Partner request accepted."))

    @post("/{partnership_id:uuid}/reject", status_code=HTTP_200_OK)
    async def reject(
        self,
        request: AuthRequest,
        partnership_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await reject_request(tx, request.user.id, partnership_id, now=now)
        return MessageOut(message="Partner request rejected.")

    @post("/{partnership_id:uuid}/cancel", status_code=HTTP_200_OK)
    async def cancel(
        self,
        request: AuthRequest,
        partnership_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await cancel_request(tx, request.user.id, partnership_id, now=now)
        return MessageOut(message="Partner request cancelled.")

    @delete("/{partnership_id:uuid}", status_code=HTTP_200_OK)
    async def remove(
        self,
        request: AuthRequest,
        partnership_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await remove_partner(tx, request.user.id, partnership_id, now=now)
        return MessageOut(message="Partner removed.")

    @post("/{partnership_id:uuid}/block", status_code=HTTP_200_OK)
    async def block(
        self,
        request: AuthRequest,
        partnership_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await block_partnership(tx, request.user.id, partnership_id, now=now)
        return MessageOut(message="User blocked.")

    @post("/{partnership_id:uuid}/unblock", status_code=HTTP_200_OK)
    async def unblock(
        self,
        request: AuthRequest,
        partnership_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await unblock(tx, request.user.id, partnership_id, now=now)
        return MessageOut(message="User unblocked.")

    @post("/report/{user_id:uuid}", status_code=HTTP_200_OK)
    async def report(
        self,
        request: AuthRequest,
        user_id: FromPath[UUID],
        data: JSONBody[ReportIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ReportOut:
        return await report_user(tx, request.user.id, user_id, data, now=now)

    @get("/{partner_user_id:uuid}/dashboard")
    async def dashboard(
        self,
        request: AuthRequest,
        partner_user_id: FromPath[UUID],
        single_read: NamedDependency[AsyncConnection],
        now: NamedDependency[datetime],
    ) -> PartnerDashboardOut:
        return await read_dashboard(single_read, request.user.id, partner_user_id, now=now)


async def _list(
    connection: AsyncConnection,
    me: UUID,
    kind: PartnerListKind,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Response[list[PartnerOut]]:
    page = await read_partner_page(connection, me, kind, now=now, limit=limit, cursor=cursor)
    return Response(list(page.rows), headers=page.headers)
