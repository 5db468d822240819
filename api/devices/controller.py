"""/notifications/register-device: the app's Expo push tokens (§3.9).

Several active devices per user. Registering a token that another account holds moves it to the
caller (the same phone, someone else signed in); unregistering only ever touches the caller's token.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from msgspec import Meta

from api.auth.jwt import AuthUser
from api.notifications.schemas import Success
from db.device_tokens import DeviceRegistration, register_device, unregister_device
from domain.errors import InvalidInput, NotFound
from domain.local_time import DEFAULT_TIMEZONE, is_valid_timezone
from services.transaction import Transaction

# The column is called fcm_token for the client's sake; it holds an Expo push token.
EXPO_PUSH_TOKEN: Final = re.compile(r"(?:ExponentPushToken|ExpoPushToken)\[[^\[\]\s]+\]")
TOKEN_MAX_LENGTH: Final = 255

PushToken = Annotated[str, Meta(min_length=1, max_length=TOKEN_MAX_LENGTH)]
DeviceText = Annotated[str, Meta(min_length=1, max_length=255)]
Version = Annotated[str, Meta(min_length=1, max_length=50)]


class RegisterDeviceIn(msgspec.Struct, forbid_unknown_fields=True):
    fcm_token: PushToken
    device_type: Literal["ios", "android"]
    device_id: DeviceText
    app_version: Version
    os_version: Version
    # Informational only: scheduling uses users.timezone.
    timezone: Annotated[str, Meta(min_length=1, max_length=64)] = DEFAULT_TIMEZONE


class DeviceRegisteredOut(msgspec.Struct):
    device_id: UUID  # the device_tokens row id
    success: bool = True


def _require_expo_token(token: str) -> str:
    if not EXPO_PUSH_TOKEN.fullmatch(token):
        raise InvalidInput(
            "fcm_token must be an Expo push token such as ExponentPushToken[…].", code="invalid_push_token"
        )
    return token


class DeviceController(Controller):
    path = "/notifications/register-device"
    tags = ["notifications"]

    @post("/", status_code=HTTP_200_OK)
    async def register(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        data: JSONBody[RegisterDeviceIn],
    ) -> DeviceRegisteredOut:
        if not is_valid_timezone(data.timezone):
            raise InvalidInput(f"Unknown time zone {data.timezone!r}.", code="invalid_timezone")
        device = DeviceRegistration(
            fcm_token=_require_expo_token(data.fcm_token),
            device_type=data.device_type,
            device_id=data.device_id,
            timezone=data.timezone,
            app_version=data.app_version,
            os_version=data.os_version,
        )
        row_id = await register_device(tx.connection, request.user.id, device, now=now)
        return DeviceRegisteredOut(device_id=row_id)

    @delete("/", status_code=HTTP_200_OK)
    async def unregister(
        self,
        request: Request[AuthUser, Any, Any],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        fcm_token: Annotated[str, QueryParameter(min_length=1, max_length=TOKEN_MAX_LENGTH)],
    ) -> Success:
        if not await unregister_device(tx.connection, request.user.id, fcm_token, now=now):
            raise NotFound("No such device token for this account.", code="device_not_found")
        return Success()
