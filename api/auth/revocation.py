"""Ending every session of an account at once: its access tokens and its refresh tokens.

Both functions run inside the unit of work that makes the change, so the revocation commits with it or
not at all, and overwrite the user's cached access state only once it has committed (the ordering is
explained in api/auth/access_states.py).

Deleting the account is the only such change with a route today (DELETE /users/delete). A password
change or reset, and any change of an account's status (suspending, disabling, enabling it again, so
that the cached status follows), call `revoke_access_tokens` in the same unit of work, after writing
the new password hash or status.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

from api.auth.access_states import DELETED, AccessStates
from db.refresh_tokens import lock_user_refresh_tokens, revoke_user_tokens
from db.users import bump_token_version, delete_user
from services.transaction import Transaction


async def revoke_access_tokens(
    tx: Transaction, states: AccessStates, user_id: UUID, *, now: datetime
) -> bool:
    """Refuse every access and refresh token issued to the user until now; False when the user does
    not exist. Sessions opened afterwards (a login with the new password) carry the new version.

    Call it after the unit of work changed the status, so the cached state carries the new one and a
    suspended or disabled account is answered 403 rather than 401."""
    state = await bump_token_version(tx.connection, user_id)
    if state is None:
        return False
    await revoke_user_tokens(tx.connection, user_id, now=now)
    tx.after_commit(partial(states.store, user_id, state))
    return True


async def delete_account(tx: Transaction, states: AccessStates, user_id: UUID) -> bool:
    """Delete the account (its refresh tokens go with it by cascade) and refuse its access tokens;
    False when it was already gone."""
    await lock_user_refresh_tokens(tx.connection, user_id)
    if not await delete_user(tx.connection, user_id):
        return False
    tx.after_commit(partial(states.store, user_id, DELETED))
    return True
