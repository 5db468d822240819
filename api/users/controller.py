"""/users: the caller's own profile and account. Every route acts on the token's user only; there is
no user id in any path, so one user can never address another's account."""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.auth.password_changes import change_password
from api.auth.rate_limits import limit_attempts_per_account, limit_attempts_per_ip
from api.auth.request import AuthRequest
from api.auth.revocation import delete_account
from api.auth.schemas import ChangePasswordIn, PasswordChangedOut
from api.auth.sessions import open_session, token_client
from api.resources import app_resources
from api.users.profiles import apply_profile_update, load_user
from api.users.schemas import MessageOut, ProfileUpdateIn, UserOut
from services.transaction import Transaction


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
