"""Users for tests, inserted directly, with a valid access token for each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.jwt import issue_access_token
from db.tables import users
from db.users import TokenSubject


@dataclass(frozen=True, slots=True)
class ApiUser:
    id: UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def create_user(connection: AsyncConnection, app: Litestar, **fields: Any) -> ApiUser:
    """A user row (onboarded, UTC unless told otherwise) and a bearer token for it."""
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "email": f"user-{tag}@example.com",
        "username": f"user_{tag}",
        "name": f"User {tag}",
        "timezone": "UTC",
        "onboarding_completed_at": datetime.now(UTC),
    }
    values.update(fields)
    row = (
        await connection.execute(sa.insert(users).values(values).returning(users.c.id, users.c.token_version))
    ).one()
    token = issue_access_token(
        app.state.jwt_auth, TokenSubject(user_id=row.id, token_version=row.token_version)
    )
    return ApiUser(id=row.id, email=values["email"], token=token)
