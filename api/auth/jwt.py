"""Deny-by-default bearer authentication with short-lived JWT access tokens (Litestar's JWTAuth).

The access token carries the user id; handlers get it as `request.user` without a database round
trip. Account status is enforced where tokens are issued (login, refresh), which is why access tokens
live only minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from api.resources import app_resources
from settings import Settings

# Paths that answer without a bearer token (regexes matched against the path). The billing webhook
# has its own shared secret.
PUBLIC_PATHS = (
    "^/health",
    "^/schema",
    "^/api/v1/auth/signup",
    "^/api/v1/auth/login",
    "^/api/v1/auth/refresh",
    "^/api/v1/webhooks/",
)
ISSUER = "fitnudge"


@dataclass(frozen=True, slots=True)
class AuthUser:
    id: UUID


async def user_from_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser | None:
    """The caller, from the token alone; also where every authenticated request notes activity
    (throttled: at most one write per user per few minutes, see api/auth/activity.py)."""
    try:
        user_id = UUID(token.sub)
    except ValueError:
        return None
    app_resources(connection.app).activity.note(user_id)
    return AuthUser(id=user_id)


def build_jwt_auth(settings: Settings) -> JWTAuth[AuthUser, Token]:
    return JWTAuth[AuthUser, Token](
        token_secret=settings.jwt_secret,
        retrieve_user_handler=user_from_token,
        exclude=list(PUBLIC_PATHS),
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        accepted_issuers=[ISSUER],
    )


def issue_access_token(auth: JWTAuth[AuthUser, Token], user_id: UUID) -> str:
    return auth.create_token(identifier=str(user_id), token_issuer=ISSUER)
