"""Bodies of /data-export, in the app's shapes (user.ts requestDataExport, getDataExportStatus)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class DataExportRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """The app sends `{}`: nothing to choose, but anything else is a mistake worth a 422."""


class DataExportRequestedOut(msgspec.Struct):
    success: bool
    message: str
    export_id: UUID


class DataExportStatusOut(msgspec.Struct):
    id: UUID
    status: str
    created_at: datetime
    completed_at: datetime | None
    # Only while the link works: a completed export whose link has expired has neither.
    download_url: str | None
    expires_at: datetime | None
