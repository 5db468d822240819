"""The request of a route behind the token check: `request.user` is the caller (api/auth/jwt.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.auth.jwt import AuthUser

AuthRequest = Request[AuthUser, Any, Any]
