"""/users: the caller's own profile, account, stats and referrals, and other users' public profile and
stats. Only the /{user_id} routes name another user, and they read public fields only (§3.13); every
other route acts on the token's user."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.password_changes import change_password
from api.auth.rate_limits import limit_attempts_per_account, limit_attempts_per_ip
from api.auth.request import AuthRequest
from api.auth.revocation import delete_account
from api.auth.schemas import ChangePasswordIn, PasswordChangedOut
from api.auth.sessions import open_session, token_client
from api.pagination import MAX_LIMIT, Cursor, Limit
from api.resources import app_resources
from api.users.profiles import apply_profile_update, load_user
from api.users.public import public_profile, user_stats
from api.users.referrals import own_referral_code, own_referrals
from api.users.schemas import (
    MessageOut,
    ProfileUpdateIn,
    PublicUserOut,
    ReferralCodeOut,
    ReferredUserOut,
    UserOut,
    UserStatsOut,
)
from services.transaction import Transaction

# The referral screen shows how many friends joined from the list it reads without paging: the
# largest page by default.
REFERRALS_DEFAULT_LIMIT = MAX_LIMIT


class UsersController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/profile")
    async def get_profile(self, request: AuthRequest, tx: NamedDependency[Transaction]) -> UserOut:
        return await load_user(tx.connection, request.user.id)

    @put("/profile")
    async def update_profile(
        self,
        request: AuthRequest,
        data: JSONBody[ProfileUpdateIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> UserOut:
        await apply_profile_update(tx.connection, request.user.id, data, now=now)
        return await load_user(tx.connection, request.user.id)

    @delete("/delete", status_code=HTTP_200_OK)
    async def delete_account(self, request: AuthRequest, tx: NamedDependency[Transaction]) -> MessageOut:
        # One statement: goals, check-ins, tokens, devices, notifications … follow by ON DELETE CASCADE
        # inside the request's transaction, so the account is gone entirely or not at all; its access
        # tokens are refused once that has committed.
        if not await delete_account(tx, app_resources(request.app).access_states, request.user.id):
            raise NotAuthorizedException("This account no longer exists.")
        return MessageOut(message="Your account and all its data have been deleted.")

    @get("/me/stats")
    async def get_own_stats(
        self, request: AuthRequest, single_read: NamedDependency[AsyncConnection]
    ) -> UserStatsOut:
        return await user_stats(single_read, request.user.id, viewer_id=request.user.id)

    @get("/me/referral-code")
    async def get_referral_code(
        self, request: AuthRequest, tx: NamedDependency[Transaction]
    ) -> ReferralCodeOut:
        return await own_referral_code(tx.connection, request.user.id)

    @get("/me/referrals")
    async def list_referrals(
        self,
        request: AuthRequest,
        single_read: NamedDependency[AsyncConnection],
        limit: Limit = REFERRALS_DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[ReferredUserOut]]:
        """The users the caller referred, newest first, as the bare array the app reads; the next
        page's cursor is in X-Next-Cursor."""
        page = await own_referrals(single_read, request.user.id, limit=limit, cursor=cursor)
        return Response(list(page.rows), headers=page.headers)

    @get("/{user_id:uuid}")
    async def get_user(
        self, request: AuthRequest, single_read: NamedDependency[AsyncConnection], user_id: FromPath[UUID]
    ) -> PublicUserOut:
        return await public_profile(single_read, user_id, viewer_id=request.user.id)

    @get("/{user_id:uuid}/stats")
    async def get_user_stats(
        self, request: AuthRequest, single_read: NamedDependency[AsyncConnection], user_id: FromPath[UUID]
    ) -> UserStatsOut:
        return await user_stats(single_read, user_id, viewer_id=request.user.id)

    @post("/change-password", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip])
    async def change_password(
        self,
        request: AuthRequest,
        data: JSONBody[ChangePasswordIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> PasswordChangedOut:
        """Every session of the account ends, this one included; the answer carries its successor."""
        await limit_attempts_per_account(request, str(request.user.id))
        resources = app_resources(request.app)
        subject = await change_password(
            tx, resources.access_states, request.user.id, data.current_password, data.new_password, now=now
        )
        settings = resources.settings
        tokens = await open_session(
            tx,
            request.app.state.jwt_auth,
            resources.access_states,
            subject,
            client=token_client(request, settings.trusted_proxy_count),
            lifetime=timedelta(days=settings.refresh_token_ttl_days),
            now=now,
        )
        return PasswordChangedOut(
            message="Password changed successfully.",
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
        )
