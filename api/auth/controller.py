"""/auth: sign-up, login, Google and Apple sign-in, linked accounts, token refresh and logout
(docs/domain.md §5 "Auth, users, onboarding")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Request, delete, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth.accounts import BadCredentials, authenticate, create_account
from api.auth.id_tokens import PROVIDER_LABELS, IdentityProvider, ProviderIdentity
from api.auth.provider_accounts import link_identity, sign_in_with_identity, unlink_identity
from api.auth.rate_limits import limit_attempts_per_account, limit_attempts_per_ip
from api.auth.request import AuthRequest
from api.auth.schemas import (
    AppleLinkIn,
    AppleSignInIn,
    DeviceInfoIn,
    GoogleLinkIn,
    GoogleSignInIn,
    LinkOut,
    LoginIn,
    RefreshIn,
    SessionOut,
    SignupIn,
    TokenPairOut,
)
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


async def _verified_identity(
    request: Request[Any, Any, Any], provider: IdentityProvider, token: str, nonce: str | None
) -> ProviderIdentity:
    """The identity in a valid, unreplayed ID token of the provider (401/503 otherwise)."""
    resources = app_resources(request.app)
    identity = await resources.id_tokens[provider].verify(token, sent_nonce=nonce)
    await resources.nonces.spend(identity)
    return identity


async def _provider_session(
    request: Request[Any, Any, Any],
    tx: Transaction,
    identity: ProviderIdentity,
    *,
    name: str | None,
    referral_code: str | None,
    device: DeviceInfoIn | None,
    now: datetime,
) -> SessionOut:
    """What login answers, for the account the provider identity signs into."""
    resources = app_resources(request.app)
    settings = resources.settings
    account = await sign_in_with_identity(
        tx.connection, identity, name=name, referral_code=referral_code, now=now
    )
    tokens = await open_session(
        tx,
        request.app.state.jwt_auth,
        resources.access_states,
        account,
        client=token_client(request, settings.trusted_proxy_count, device),
        lifetime=timedelta(days=settings.refresh_token_ttl_days),
        now=now,
    )
    user = await load_user(tx.connection, account.user_id)
    return SessionOut(access_token=tokens.access_token, refresh_token=tokens.refresh_token, user=user)


async def _link(request: AuthRequest, tx: Transaction, identity: ProviderIdentity) -> LinkOut:
    label = PROVIDER_LABELS[identity.provider]
    linked = await link_identity(tx.connection, request.user.id, identity)
    message = f"{label} account linked." if linked else f"This {label} account was already linked."
    return LinkOut(message=message, user=await load_user(tx.connection, request.user.id))


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

    @post("/oauth/google", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip], cache_control=NO_STORE)
    async def sign_in_with_google(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[GoogleSignInIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> SessionOut:
        identity = await _verified_identity(request, IdentityProvider.GOOGLE, data.id_token, data.nonce)
        return await _provider_session(
            request,
            tx,
            identity,
            name=None,
            referral_code=data.referral_code,
            device=data.device_info,
            now=now,
        )

    @post("/oauth/apple", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip], cache_control=NO_STORE)
    async def sign_in_with_apple(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[AppleSignInIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> SessionOut:
        identity = await _verified_identity(request, IdentityProvider.APPLE, data.identity_token, data.nonce)
        # Apple sends the name to the app on the first authorization only, never in the token.
        name = data.full_name.joined() if data.full_name else None
        return await _provider_session(
            request,
            tx,
            identity,
            name=name,
            referral_code=data.referral_code,
            device=data.device_info,
            now=now,
        )

    @post("/link/google", status_code=HTTP_200_OK)
    async def link_google(
        self, request: AuthRequest, data: JSONBody[GoogleLinkIn], tx: NamedDependency[Transaction]
    ) -> LinkOut:
        identity = await _verified_identity(request, IdentityProvider.GOOGLE, data.id_token, data.nonce)
        return await _link(request, tx, identity)

    @post("/link/apple", status_code=HTTP_200_OK)
    async def link_apple(
        self, request: AuthRequest, data: JSONBody[AppleLinkIn], tx: NamedDependency[Transaction]
    ) -> LinkOut:
        identity = await _verified_identity(request, IdentityProvider.APPLE, data.identity_token, data.nonce)
        return await _link(request, tx, identity)

    @delete("/unlink/{provider:str}", status_code=HTTP_200_OK)
    async def unlink(
        self, request: AuthRequest, provider: FromPath[IdentityProvider], tx: NamedDependency[Transaction]
    ) -> LinkOut:
        await unlink_identity(tx.connection, request.user.id, provider)
        return LinkOut(
            message=f"{PROVIDER_LABELS[provider]} account unlinked.",
            user=await load_user(tx.connection, request.user.id),
        )

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
