"""Referral codes (§3.13): how a code looks, how one is made and the link the app shares."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Final

# Unambiguous when read aloud or typed from a screenshot (no 0/O, 1/I/L); 8 characters ≈ 40 bits, so
# a fresh code collides with an existing one only rarely, and the writers retry when it does.
REFERRAL_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERRAL_CODE_LENGTH: Final = 8
# How many fresh codes a writer tries before it gives up with a 409.
REFERRAL_CODE_ATTEMPTS: Final = 5
REFERRAL_LINK_PREFIX: Final = "https://fitnudge.app/join?ref="


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def normalized_referral_code(typed: str) -> str:
    """Codes are stored upper-case; people type them in any case."""
    return typed.strip().upper()


def referral_link(code: str) -> str:
    return REFERRAL_LINK_PREFIX + code


# What a referrer earns when someone they referred first pays: days of premium (§3.13).
REFERRAL_BONUS: Final = timedelta(days=7)
# subscriptions.provider of premium that came from referral bonuses rather than a store.
REFERRAL_BONUS_PROVIDER: Final = "referral"
