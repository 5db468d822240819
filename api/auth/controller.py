"""/auth: sign-up, login, Google and Apple sign-in, linked accounts, token refresh and logout
(docs/domain.md §5 "Auth, users, onboarding"); email verification and password reset (docs/api.md,
"Email and passwords")."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Request, delete, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth.accounts import BadCredentials, authenticate, create_account
from api.auth.email_verification import (
    RESEND_COOLDOWN,
    RESENDS_PER_HOUR,
    check_code,
    resend_wait,
    send_verification_code,
)
from api.auth.id_tokens import PROVIDER_LABELS, IdentityProvider, ProviderIdentity
from api.auth.jwt import optional_caller
from api.auth.password_changes import request_reset, reset_with_token, set_first_password, usable_reset_token
from api.auth.provider_accounts import link_identity, sign_in_with_identity, unlink_identity
from api.auth.rate_limits import (
    account_key,
    count_attempt,
    limit_attempts_per_account,
    limit_attempts_per_ip,
    too_many_attempts,
)
from api.auth.request import AuthRequest
from api.auth.schemas import (
    AppleLinkIn,
    AppleSignInIn,
    DeviceInfoIn,
    ForgotPasswordIn,
    GoogleLinkIn,
    GoogleSignInIn,
    LinkOut,
    LoginIn,
    MessageWithUserOut,
    RefreshIn,
    ResendLimitsOut,
    ResendVerificationIn,
    ResendVerificationOut,
    ResetPasswordIn,
    ResetTokenIn,
    ResetTokenValidOut,
    SessionOut,
    SetPasswordIn,
    SignupIn,
    TokenPairOut,
    VerifyEmailIn,
    normalized_email,
)
from api.auth.sessions import RefreshRejected, open_session, rotate_session, token_client
from api.resources import app_resources
from api.users.profiles import load_user
from api.users.schemas import MessageOut
from db.refresh_tokens import revoke_user_tokens
from db.users import ACTIVE_STATUS, EmailAccount, email_account_of, find_email_account
from domain.errors import RuleBroken
from services.one_time_secrets import secret_hasher
from services.product_events import ProductEvent, track_after_commit
from services.transaction import Transaction

REFRESH_REJECTION_DETAIL = {
    RefreshRejected.INVALID: "The refresh token is not valid.",
    RefreshRejected.EXPIRED: "The refresh token has expired; please log in again.",
    RefreshRejected.REUSED: "The refresh token was already used; every session of it has been ended.",
    RefreshRejected.ACCOUNT_INACTIVE: "This account can no longer sign in.",
    RefreshRejected.REVOKED: "This session has ended; please log in again.",
}
RESET_REQUESTED = "If an account exists, a password reset email has been sent."
CODE_SENT = "Verification code sent successfully."
# The window of the per-account caps on mailed codes and reset links.
MAIL_CAP_WINDOW_SECONDS = 3600
RESET_MAILS_PER_HOUR = 5
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
    sign_in = await sign_in_with_identity(
        tx.connection, identity, name=name, referral_code=referral_code, now=now
    )
    account = sign_in.subject
    if sign_in.created:
        track_after_commit(
            tx,
            resources.product_events,
            account.user_id,
            ProductEvent.SIGNED_UP,
            method=identity.provider.value,
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
        await send_verification_code(
            tx, secret_hasher(settings.jwt_secret), account.user_id, normalized_email(data.email), now=now
        )
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
        track_after_commit(
            tx, resources.product_events, account.user_id, ProductEvent.SIGNED_UP, method="email"
        )
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

    @post("/verify-email", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip])
    async def verify_email(
        self, request: Request[Any, Any, Any], data: JSONBody[VerifyEmailIn], now: NamedDependency[datetime]
    ) -> MessageWithUserOut:
        resources = app_resources(request.app)
        # Its own transaction instead of `tx`: a wrong guess is counted and committed although the
        # answer is 400.
        async with resources.database.transaction() as tx:
            account = await _addressed_account(request, tx, data.email)
            if account is None:
                error: RuleBroken | None = RuleBroken("Invalid verification code.", code="invalid_code")
            elif account.email_verified:
                error = RuleBroken("This email is already verified.", code="email_already_verified")
            else:
                error = await check_code(
                    tx, secret_hasher(resources.settings.jwt_secret), account.user_id, data.code, now=now
                )
            user = await load_user(tx.connection, account.user_id) if account and error is None else None
        if user is None:
            raise error or RuleBroken("Invalid verification code.", code="invalid_code")
        return MessageWithUserOut(message="Email verified successfully.", user=user)

    @post("/resend-verification", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip])
    async def resend_verification(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ResendVerificationIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ResendVerificationOut:
        """Mail a new code. An unknown email gets the same answer and no mail."""
        resources = app_resources(request.app)
        account = await _addressed_account(request, tx, data.email)
        if account is not None and account.email_verified:
            raise RuleBroken("This email is already verified.", code="email_already_verified")
        wait = await resend_wait(tx, account.user_id, now=now) if account is not None else None
        if wait is not None:
            seconds = math.ceil(wait.total_seconds())
            raise too_many_attempts(seconds, f"Please wait {seconds} seconds before requesting another code.")
        issued = await count_attempt(
            resources.redis,
            f"{resources.settings.redis_key_prefix}:verification-codes:"
            + account_key(account.email if account else data.email or ""),
            window_seconds=MAIL_CAP_WINDOW_SECONDS,
        )
        if issued.count > RESENDS_PER_HOUR:
            raise too_many_attempts(issued.retry_after_seconds)
        if account is not None and account.status == ACTIVE_STATUS:
            hasher = secret_hasher(resources.settings.jwt_secret)
            await send_verification_code(tx, hasher, account.user_id, account.email, now=now)
        limits = ResendLimitsOut(
            min_wait_minutes=int(RESEND_COOLDOWN.total_seconds()) // 60,
            max_per_hour=RESENDS_PER_HOUR,
            remaining=RESENDS_PER_HOUR - issued.count,
        )
        return ResendVerificationOut(message=CODE_SENT, rate_limit_info=limits)

    @post("/forgot-password", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip])
    async def forgot_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ForgotPasswordIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        """The same answer whether or not the account exists."""
        await limit_attempts_per_account(request, data.email)
        resources = app_resources(request.app)
        # Past the hourly cap the answer stays the same and no mail goes out: a refusal would tell
        # that the account exists, and the mailbox's owner is not flooded.
        requested = await count_attempt(
            resources.redis,
            f"{resources.settings.redis_key_prefix}:reset-mails:{account_key(data.email)}",
            window_seconds=MAIL_CAP_WINDOW_SECONDS,
        )
        if requested.count <= RESET_MAILS_PER_HOUR:
            await request_reset(tx, secret_hasher(resources.settings.jwt_secret), data.email, now=now)
        return MessageOut(message=RESET_REQUESTED)

    @post("/reset-password/validate", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip])
    async def validate_reset_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ResetTokenIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> ResetTokenValidOut:
        hasher = secret_hasher(app_resources(request.app).settings.jwt_secret)
        stored = await usable_reset_token(tx, hasher, data.token, now=now, for_update=False)
        await limit_attempts_per_account(request, str(stored.user_id))
        return ResetTokenValidOut(valid=True, expires_at=stored.expires_at)

    @post("/reset-password", status_code=HTTP_200_OK, guards=[limit_attempts_per_ip])
    async def reset_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ResetPasswordIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageOut:
        """Every session of the account ends: its access and refresh tokens are refused from now on."""
        resources = app_resources(request.app)
        hasher = secret_hasher(resources.settings.jwt_secret)
        stored = await usable_reset_token(tx, hasher, data.token, now=now, for_update=True)
        await limit_attempts_per_account(request, str(stored.user_id))
        await reset_with_token(tx, resources.access_states, stored, data.new_password, now=now)
        return MessageOut(message="Password reset successfully. Please log in with the new password.")

    @post("/set-password", status_code=HTTP_200_OK)
    async def set_password(
        self,
        request: AuthRequest,
        data: JSONBody[SetPasswordIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> MessageWithUserOut:
        """For accounts made with Google or Apple, which have no password yet."""
        await set_first_password(tx, request.user.id, data.new_password, now=now)
        user = await load_user(tx.connection, request.user.id)
        return MessageWithUserOut(message="Password set successfully.", user=user)


async def _addressed_account(
    request: Request[Any, Any, Any], tx: Transaction, email: str | None
) -> EmailAccount | None:
    """The account the body's email names (None when there is none) or, without an email, the signed-in
    caller's; the attempt is counted against it (docs/api.md: either identifies the account)."""
    if email is not None:
        await limit_attempts_per_account(request, email)
        return await find_email_account(tx.connection, email.strip())
    caller = await optional_caller(request)
    if caller is None:
        raise RuleBroken("Send the email address of the account, or sign in.", code="email_required")
    account = await email_account_of(tx.connection, caller.id)
    await limit_attempts_per_account(request, account.email if account else str(caller.id))
    return account
