"""Sessions: a short-lived JWT access token plus an opaque, rotating refresh token.

Refresh tokens come in families: login and sign-up start one, each refresh retires the presented
token and issues the next in the same family. Presenting a retired token again means two parties
hold the family (a copy was stolen), so the whole family is revoked and both must log in again.

Both tokens carry the user's token version at issue. Revocation (api/auth/revocation.py) bumps it and
retires the user's refresh tokens; a refresh token that a concurrent login or refresh wrote after
that UPDATE read the table keeps the old version and is refused here, as is its access token. Opening
a session also caches the user's access state once committed, so the requests that follow a login or
refresh find it in Redis (api/auth/access_states.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth

from api.auth.access_states import AccessStates
from api.auth.client_address import client_ip
from api.auth.jwt import AccessToken, AuthUser, issue_access_token
from api.auth.refresh_token_format import new_refresh_token, parse_refresh_token
from api.auth.schemas import DeviceInfoIn, TokenPairOut
from db.refresh_tokens import (
    NewRefreshToken,
    TokenClient,
    insert_refresh_token,
    lock_refresh_token,
    retire_refresh_token,
    revoke_token_family,
)
from db.users import ACTIVE_STATUS, AccessState, TokenSubject
from services.transaction import Transaction

# Long enough for any real browser or app string, short enough that a client cannot bloat the row.
USER_AGENT_MAX_LENGTH = 512


class RefreshRejected(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    REUSED = "reused"
    ACCOUNT_INACTIVE = "account_inactive"
    REVOKED = "revoked"


def token_client(
    connection: ASGIConnection[Any, Any, Any, Any],
    trusted_proxy_count: int,
    device: DeviceInfoIn | None = None,
) -> TokenClient:
    user_agent = connection.headers.get("user-agent")
    return TokenClient(
        device_name=device.device_name if device else None,
        device_id=device.device_id if device else None,
        device_type=device.device_type if device else None,
        ip_address=client_ip(connection, trusted_proxy_count),
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH] if user_agent else None,
    )


async def open_session(
    tx: Transaction,
    jwt_auth: JWTAuth[AuthUser, AccessToken],
    states: AccessStates,
    subject: TokenSubject,
    *,
    client: TokenClient,
    lifetime: timedelta,
    now: datetime,
    family: str | None = None,
) -> TokenPairOut:
    """Issue an access token and store a new refresh token (in a new family unless one is given), for
    the active account `subject`."""
    refresh = new_refresh_token(family)
    await insert_refresh_token(
        tx.connection,
        NewRefreshToken(
            user_id=subject.user_id,
            token_version=subject.token_version,
            token_family=refresh.family,
            token_id=refresh.token_id,
            token_hash=refresh.secret_hash,
            expires_at=now + lifetime,
            client=client,
        ),
        now=now,
    )
    active = AccessState(token_version=subject.token_version, status=ACTIVE_STATUS)
    tx.after_commit(partial(states.store, subject.user_id, active))
    return TokenPairOut(access_token=issue_access_token(jwt_auth, subject), refresh_token=refresh.value)


async def rotate_session(
    tx: Transaction,
    jwt_auth: JWTAuth[AuthUser, AccessToken],
    states: AccessStates,
    presented_token: str,
    *,
    client: TokenClient,
    now: datetime,
) -> TokenPairOut | RefreshRejected:
    """Exchange a refresh token for a new pair, or say why not. A reused token revokes its family
    here, so the caller must commit before answering 401."""
    presented = parse_refresh_token(presented_token)
    stored = (
        None
        if presented is None
        else await lock_refresh_token(tx.connection, presented.family, presented.token_id)
    )
    if presented is None or stored is None or not presented.matches(stored.token_hash):
        # Knowing a family and token id without the secret proves nothing: no revocation.
        return RefreshRejected.INVALID
    if not stored.is_active:
        await revoke_token_family(tx.connection, stored.token_family, now=now)
        return RefreshRejected.REUSED
    if stored.expires_at <= now:
        return RefreshRejected.EXPIRED
    if stored.user_status != ACTIVE_STATUS:
        return RefreshRejected.ACCOUNT_INACTIVE
    if stored.token_version != stored.user_token_version:
        return RefreshRejected.REVOKED
    await retire_refresh_token(tx.connection, stored.id, now=now)
    # The next token keeps the device and the lifetime chosen at login (remember_me or not).
    device_client = TokenClient(
        device_name=stored.device_name,
        device_id=stored.device_id,
        device_type=stored.device_type,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
    )
    return await open_session(
        tx,
        jwt_auth,
        states,
        TokenSubject(user_id=stored.user_id, token_version=stored.user_token_version),
        client=device_client,
        lifetime=stored.expires_at - stored.created_at,
        now=now,
        family=stored.token_family,
    )
