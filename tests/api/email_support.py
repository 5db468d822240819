"""What the email-route tests share: an app on a clock they move, and a unique new account each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.api.auth_support import PASSWORD

SIGNUP = "/api/v1/auth/signup"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/resend-verification"
FORGOT = "/api/v1/auth/forgot-password"
VALIDATE = "/api/v1/auth/reset-password/validate"
RESET = "/api/v1/auth/reset-password"
SET_PASSWORD = "/api/v1/auth/set-password"
CHANGE_PASSWORD = "/api/v1/users/change-password"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
PROFILE = "/api/v1/users/profile"
NEW_PASSWORD = "Brand-new Passw0rd"


@dataclass(frozen=True, slots=True)
class SignedUp:
    email: str
    user_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def sign_up(client: httpx.AsyncClient, **overrides: Any) -> SignedUp:
    tag = uuid.uuid4().hex[:12]
    body = {"email": f"mail-{tag}@example.com", "password": PASSWORD, "name": "Ada", "username": f"u{tag}"}
    response = await client.post(SIGNUP, json=body | overrides)
    assert response.status_code == 201, response.text
    session = response.json()
    return SignedUp(
        email=session["user"]["email"],
        user_id=session["user"]["id"],
        access_token=session["access_token"],
        refresh_token=session["refresh_token"],
    )
