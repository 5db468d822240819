"""Request and response bodies of /auth."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from api.auth.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from api.users.schemas import CountryCode, Name, TimezoneName, Username, UserOut

Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


def normalized_email(email: str) -> str:
    """Addresses are stored and looked up lower-case; the rate-limit key must match the lookup."""
    return email.strip().lower()


NewPassword = Annotated[str, Meta(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]
Password = Annotated[str, Meta(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
ReferralCode = Annotated[str, Meta(pattern=r"^[A-Za-z0-9]{1,32}$")]
DeviceText = Annotated[str, Meta(max_length=100)]
# format: family.token_id.secret — 32 + 1 + 32 + 1 + 43 characters; anything longer is not ours.
RefreshTokenText = Annotated[str, Meta(max_length=200)]
# Provider ID tokens are a few kilobytes at most.
IdTokenText = Annotated[str, Meta(min_length=1, max_length=8192)]
NonceText = Annotated[str, Meta(min_length=1, max_length=256)]
# Apple's authorization code: accepted because the app sends it, not used (nothing is exchanged).
AuthorizationCode = Annotated[str, Meta(max_length=2048)]
NamePart = Annotated[str, Meta(max_length=100)]


class DeviceType(StrEnum):
    IOS = "ios"
    ANDROID = "android"
    WEB = "web"


class DeviceInfoIn(msgspec.Struct, forbid_unknown_fields=True):
    device_name: DeviceText | None = None
    device_id: DeviceText | None = None
    device_type: DeviceType | None = None


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: NewPassword
    name: Name
    username: Username
    timezone: TimezoneName = "UTC"
    country: CountryCode | None = None
    referral_code: ReferralCode | None = None
    device_info: DeviceInfoIn | None = None


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    remember_me: bool = False
    device_info: DeviceInfoIn | None = None


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: RefreshTokenText


class GoogleSignInIn(msgspec.Struct, forbid_unknown_fields=True):
    id_token: IdTokenText
    # Only when the app asked Google for a token bound to it: the token must then carry it.
    nonce: NonceText | None = None
    referral_code: ReferralCode | None = None
    device_info: DeviceInfoIn | None = None


class AppleNameIn(msgspec.Struct, forbid_unknown_fields=True):
    """Apple's full name, sent by the app on the first authorization only (its camelCase keys)."""

    given_name: NamePart | None = msgspec.field(default=None, name="givenName")
    family_name: NamePart | None = msgspec.field(default=None, name="familyName")

    def joined(self) -> str | None:
        name = " ".join(part.strip() for part in (self.given_name, self.family_name) if part and part.strip())
        return name or None


class AppleSignInIn(msgspec.Struct, forbid_unknown_fields=True):
    identity_token: IdTokenText
    authorization_code: AuthorizationCode | None = None
    # Ignored: the address in the verified token is the one used; this one is unverified input.
    email: Email | None = None
    full_name: AppleNameIn | None = None
    nonce: NonceText | None = None
    referral_code: ReferralCode | None = None
    device_info: DeviceInfoIn | None = None


class GoogleLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    id_token: IdTokenText
    nonce: NonceText | None = None


class AppleLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    identity_token: IdTokenText
    authorization_code: AuthorizationCode | None = None
    nonce: NonceText | None = None


class TokenPairOut(msgspec.Struct):
    access_token: str
    refresh_token: str


class SessionOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    user: UserOut


class LinkOut(msgspec.Struct):
    message: str
    user: UserOut


VerificationCode = Annotated[str, Meta(pattern=r"^[0-9]{6}$")]
# 43 characters as issued (services/one_time_secrets.py); anything much longer is not ours.
ResetTokenText = Annotated[str, Meta(min_length=1, max_length=200)]


class VerifyEmailIn(msgspec.Struct, forbid_unknown_fields=True):
    code: VerificationCode
    email: Email | None = None


class ResendVerificationIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email | None = None


class ForgotPasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class ResetTokenIn(msgspec.Struct, forbid_unknown_fields=True):
    token: ResetTokenText


class ResetPasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    token: ResetTokenText
    new_password: NewPassword


class SetPasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    new_password: NewPassword


class ChangePasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: NewPassword


class MessageWithUserOut(msgspec.Struct):
    message: str
    user: UserOut


class ResendLimitsOut(msgspec.Struct):
    min_wait_minutes: int
    max_per_hour: int
    remaining: int


class ResendVerificationOut(msgspec.Struct):
    message: str
    rate_limit_info: ResendLimitsOut


class ResetTokenValidOut(msgspec.Struct):
    valid: bool
    expires_at: datetime


class PasswordChangedOut(msgspec.Struct):
    """The app reads `message`; the pair replaces the caller's session, which the change ended with
    every other one (an app that stores it stays signed in, one that ignores it signs in again)."""

    message: str
    access_token: str
    refresh_token: str
