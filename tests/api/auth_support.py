"""What the account tests share: a known password with its argon2id hash, made once per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache

from argon2 import PasswordHasher

from tests.support.users import ApiUser

PASSWORD = "correct horse battery"
MakeUser = Callable[..., Awaitable[ApiUser]]


@cache
def password_hash() -> str:
    """The hash of PASSWORD: hashing costs a quarter of a second, so it is made once."""
    return PasswordHasher().hash(PASSWORD)
