"""The 403 for an account that is not active, the same at login and on every authenticated request.

Beside `code` (`account_disabled` / `account_suspended`) the body carries `status`: the app logs out
when a 403's `status` (or `detail.status`) is `disabled` or `suspended` (its base API service).
"""

from __future__ import annotations

from domain.errors import Forbidden


def account_not_active(status: str) -> Forbidden:
    return Forbidden(f"This account is {status}.", code=f"account_{status}", extra={"status": status})
