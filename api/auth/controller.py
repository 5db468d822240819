"""/auth: sign-up, login, token refresh and logout (docs/domain.md §5 "Auth, users, onboarding")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth.accounts import BadCredentials, authenticate, create_account
from api.auth.rate_limits import limit_attempts_per_account, limit_attempts_per_ip
from api.auth.request import AuthRequest
from api.auth.schemas import LoginIn, RefreshIn, SessionOut, SignupIn, TokenPairOut
from api.auth.sessions import RefreshRejected, open_session, rotate_session, token_client
from api.resources import app_resources
from api.users.profiles import load_user
from api.users.schemas import MessageOut
from db.refresh_tokens import revoke_user_tokens
from services.transaction import Transaction

REFRESH_REJECTION_DETAIL = {
    RefreshRejected.INVALID: "The refresh token is not valid.",
    RefreshRejected.EXPIRED: "The refresh token has expired; please log in again.",
    RefreshRejected.REUSED: "The refresh token was already used; every session of it has been ended.",
    RefreshRejected.ACCOUNT_INACTIVE: "This account can no longer sign in.",
    RefreshRejected.REVOKED: "This session has ended; please log in again.",
}
# Token responses must never be stored by a cache on the way.
NO_STORE = CacheControlHeader(no_store=True)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/signup", status_code=HTTP_201_CREATED, guards=[limit_attempts_per_ip], cache_control=NO_STORE)
    async def signup(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SignupIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> SessionOut:
        await limit_attempts_per_account(request, data.email)
        resources = app_resources(request.app)
        settings = resources.settings
        account = await create_account(tx.connection, data)
        tokens = await open_session(
            tx,
            request.app.state.jwt_auth,
            resources.access_states,
            account,
            client=token_client(request, settings.trusted_proxy_count, data.device_info),
            lifetime=timedelta(days=settings.refresh_token_ttl_days),
            now=now,
        )
        user = await load_user(tx.connection, account.user_id)
        return SessionOut(access_token=tokens.access_token, refresh_token=tokens.refresh_token, user=user)

    @post("/login", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip], cache_control=NO_STORE)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> SessionOut:
        await limit_attempts_per_account(request, data.email)
        resources = app_resources(request.app)
        settings = resources.settings
        try:
            account = await authenticate(tx.connection, data.email, data.password, now=now)
        except BadCredentials:
            raise NotAuthorizedException("Invalid email or password.") from None
        ttl_days = (
            settings.refresh_token_remember_me_ttl_days
            if data.remember_me
            else settings.refresh_token_ttl_days
        )
        tokens = await open_session(
            tx,
            request.app.state.jwt_auth,
            resources.access_states,
            account,
            client=token_client(request, settings.trusted_proxy_count, data.device_info),
            lifetime=timedelta(days=ttl_days),
            now=now,
        )
        user = await load_user(tx.connection, account.user_id)
        return SessionOut(access_token=tokens.access_token, refresh_token=tokens.refresh_token, user=user)

    @post("/refresh", status_code=HTTP_200_OK, cache_control=NO_STORE)
    async def refresh(
        self, request: Request[Any, Any, Any], data: JSONBody[RefreshIn], now: NamedDependency[datetime]
    ) -> TokenPairOut:
        # Its own transaction instead of `tx`: a reused token's family revocation must be committed
        # even though the answer is 401 (raising inside `tx` would roll it back).
        resources = app_resources(request.app)
        async with resources.database.transaction() as tx:
            outcome = await rotate_session(
                tx,
                request.app.state.jwt_auth,
                resources.access_states,
                data.refresh_token,
                client=token_client(request, resources.settings.trusted_proxy_count),
                now=now,
            )
        if isinstance(outcome, RefreshRejected):
            raise NotAuthorizedException(REFRESH_REJECTION_DETAIL[outcome])
        return outcome

    @post("/logout", status_code=HTTP_200_OK)
    async def logout(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        await revoke_user_tokens(tx.connection, request.user.id, now=now)
        return MessageOut(message="Logged out from every device.")
