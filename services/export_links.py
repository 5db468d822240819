"""Signed download links of data exports (docs/api.md, "Data export").

The link names the export and its expiry; its signature is an HMAC-SHA256 of both under the key of
services/one_time_secrets.py (derived from JWT_SECRET), so a link cannot be forged, retargeted or
extended, and is checked in constant time. Nothing about a link is stored: the export row's
expires_at is the expiry it carries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlencode
from uuid import UUID

from services.one_time_secrets import secret_hasher

# A week: long enough to find the mail after a weekend, short enough that a forwarded or leaked mail
# stops working; exports themselves are deleted soon after (workers/exports/).
LINK_LIFETIME: Final = timedelta(days=7)
DOWNLOAD_PATH: Final = "/api/v1/data-export/download/"
_PURPOSE: Final = "data-export-download"


def link_expiry(completed_at: datetime) -> datetime:
    """Whole seconds, so the expiry in the link and the one stored are the same instant."""
    return (completed_at + LINK_LIFETIME).replace(microsecond=0)


def _signed_value(export_id: UUID, expires: int) -> str:
    return f"{export_id}:{expires}"


def signature(server_secret: str, export_id: UUID, expires: int) -> str:
    return secret_hasher(server_secret).digest(_PURPOSE, _signed_value(export_id, expires))


def signature_matches(server_secret: str, export_id: UUID, expires: int, candidate: str) -> bool:
    return secret_hasher(server_secret).matches(_PURPOSE, _signed_value(export_id, expires), candidate)


def download_url(base_url: str, server_secret: str, export_id: UUID, expires_at: datetime) -> str:
    expires = int(expires_at.astimezone(UTC).timestamp())
    query = urlencode({"expires": expires, "signature": signature(server_secret, export_id, expires)})
    return f"{base_url.rstrip('/')}{DOWNLOAD_PATH}{export_id}?{query}"
