"""Deny-by-default bearer authentication with short-lived JWT access tokens (Litestar's JWTAuth).

The header: `Authorization: Bearer <token>`. The scheme is matched case-insensitively (RFC 7235
§2.1), followed by one or more spaces and exactly one token in RFC 6750's b64token syntax; nothing may
follow it. Anything else (another scheme, no token, two tokens, a bare token) is 401 with the error
body, as is a token that fails verification; every 401 carries `WWW-Authenticate: Bearer` (with
`error="invalid_token"` when a token was sent but refused, RFC 6750 §3).

The access token carries the user id (`sub`) and the user's token version (`tv`). Each request checks
the version and the account status against a cached per-user state (api/auth/access_states.py): a
token issued before the account was deleted, suspended or disabled or got a new password is refused
at once, though access tokens still live only minutes. A deleted account or an outdated version is
401; a suspended or disabled account is 403 `account_<status>`, as at login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from api.auth.access_states import DELETED
from api.auth.refusals import account_not_active
from api.resources import app_resources
from db.users import ACTIVE_STATUS, TokenSubject
from settings import Settings

# Paths that answer without a bearer token (regexes matched against the path). The billing webhook
# has its own shared secret.
PUBLIC_PATHS = (
    "^/health",
    "^/schema",
    # Its own credential, METRICS_TOKEN (api/metrics.py): Prometheus has no user session.
    "^/metrics$",
    "^/api/v1/auth/signup",
    "^/api/v1/auth/login",
    "^/api/v1/auth/refresh",
    "^/api/v1/auth/oauth/",
    # The email routes are reached from a mail, before or without a session (docs/api.md).
    "^/api/v1/auth/verify-email",
    "^/api/v1/auth/resend-verification",
    "^/api/v1/auth/forgot-password",
    "^/api/v1/auth/reset-password",
    "^/api/v1/app-config/public(/|$)",
    "^/api/v1/app-version/check$",
    "^/api/v1/blog/",
    # The mailed link carries its own credential, a signature (api/data_export/controller.py).
    "^/api/v1/data-export/download/",
    "^/api/v1/webhooks/",
)
ISSUER = "fitnudge"

# credentials = auth-scheme 1*SP token68 (RFC 7235 §2.1), with RFC 6750's b64token as the token.
_BEARER_CREDENTIALS: Final = re.compile(r"bearer +(?P<token>[A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE | re.ASCII)
_NO_CREDENTIALS_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}
_INVALID_TOKEN_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True, slots=True)
class AuthUser:
    id: UUID


@dataclass
class AccessToken(Token):
    """Litestar's token plus the user's token version; a token without it is refused."""

    tv: int = field(kw_only=True)


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware takes whatever follows the first space of the header, whatever the
    scheme; this one accepts only the form in the module doc."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        credentials = _BEARER_CREDENTIALS.fullmatch(connection.headers.get(self.auth_header, ""))
        if credentials is None:
            raise NotAuthorizedException(
                "Send the access token as 'Authorization: Bearer <token>'.", headers=_NO_CREDENTIALS_CHALLENGE
            )
        try:
            return await self.authenticate_token(encoded_token=credentials["token"], connection=connection)
        except NotAuthorizedException as error:
            raise NotAuthorizedException(error.detail, headers=_INVALID_TOKEN_CHALLENGE) from None


async def user_from_token(token: AccessToken, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser:
    """The caller, once the token's version and the account's status allow it; also where every
    authenticated request notes activity (throttled: at most one write per user per few minutes, see
    api/auth/activity.py)."""
    try:
        user_id = UUID(token.sub)
    except ValueError:
        raise NotAuthorizedException("Invalid token") from None
    resources = app_resources(connection.app)
    state = await resources.access_states.current(user_id, token_version=token.tv)
    if state == DELETED:
        raise NotAuthorizedException("This account no longer exists.")
    if state.status != ACTIVE_STATUS:
        raise account_not_active(state.status)
    if state.token_version != token.tv:
        raise NotAuthorizedException("This session has ended; please log in again.")
    resources.activity.note(user_id)
    return AuthUser(id=user_id)


def build_jwt_auth(settings: Settings) -> JWTAuth[AuthUser, AccessToken]:
    return JWTAuth[AuthUser, AccessToken](
        token_secret=settings.jwt_secret,
        retrieve_user_handler=user_from_token,
        exclude=list(PUBLIC_PATHS),
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        accepted_issuers=[ISSUER],
        token_cls=AccessToken,
        authentication_middleware_class=BearerAuthenticationMiddleware,
    )


def issue_access_token(auth: JWTAuth[AuthUser, AccessToken], subject: TokenSubject) -> str:
    return auth.create_token(identifier=str(subject.user_id), token_issuer=ISSUER, tv=subject.token_version)


async def optional_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser | None:
    """The caller of a public route that signed-in apps call too: None without an Authorization header;
    a header that is there must hold a valid token, checked exactly as on protected routes (401)."""
    header = connection.headers.get("authorization")
    if header is None:
        return None
    credentials = _BEARER_CREDENTIALS.fullmatch(header)
    if credentials is None:
        raise NotAuthorizedException(
            "Send the access token as 'Authorization: Bearer <token>'.", headers=_NO_CREDENTIALS_CHALLENGE
        )
    jwt_auth: JWTAuth[AuthUser, AccessToken] = connection.app.state.jwt_auth
    try:
        token = AccessToken.decode(
            credentials["token"],
            secret=jwt_auth.token_secret,
            algorithm=jwt_auth.algorithm,
            issuer=jwt_auth.accepted_issuers,
        )
        return await user_from_token(token, connection)
    except NotAuthorizedException as error:
        raise NotAuthorizedException(error.detail, headers=_INVALID_TOKEN_CHALLENGE) from None
