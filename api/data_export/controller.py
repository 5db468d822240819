"""/data-export: ask for an export of one's data, follow it, and download it from the mailed link
(docs/api.md, "Data export"). The download is public: the link's signature is the credential."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_410_GONE

from api.auth.request import AuthRequest
from api.data_export.schemas import DataExportRequestedOut, DataExportRequestIn, DataExportStatusOut
from api.resources import app_resources
from db.data_exports import COMPLETED, chunk_after, completed_export, insert_export, own_export
from domain.errors import DailyLimitReached, Forbidden, NotFound
from services.addresses import EXPORTS_BUILD
from services.export_links import download_url, signature_matches
from services.transaction import Database, Transaction

# The app shows this text on a 429 (ProfileScreen).
ONE_PER_DAY: Final = "You can only request one data export per day. Please try again tomorrow."
# An HMAC-SHA256 in hex; the bound keeps junk out of the comparison.
Signature = Annotated[str, QueryParameter(max_length=64)]


async def _document(database: Database, export_id: UUID) -> AsyncIterator[bytes]:
    """The stored document, one chunk per statement: a download never holds more than one chunk."""
    seq = -1
    while True:
        async with database.single_statement() as connection:
            chunk = await chunk_after(connection, export_id, seq)
        if chunk is None:
            return
        seq, body = chunk
        yield body.encode()


class DataExportController(Controller):
    path = "/data-export"
    tags = ["data-export"]

    @post("/request", status_code=HTTP_200_OK)
    async def request_export(
        self,
        request: AuthRequest,
        data: JSONBody[DataExportRequestIn],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> DataExportRequestedOut:
        export_id = await insert_export(tx.connection, request.user.id, now=now)
        if export_id is None:
            raise DailyLimitReached(ONE_PER_DAY)
        tx.enqueue(EXPORTS_BUILD, str(export_id))
        return DataExportRequestedOut(
            success=True,
            message="Your data export has been requested. A download link will arrive by email shortly.",
            export_id=export_id,
        )

    @get("/status/{export_id:uuid}")
    async def export_status(
        self,
        request: AuthRequest,
        export_id: FromPath[UUID],
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> DataExportStatusOut:
        export = await own_export(tx.connection, export_id, request.user.id)
        if export is None:
            raise NotFound("No such data export.")
        expires_at = export.expires_at if export.status == COMPLETED else None
        if expires_at is not None and expires_at <= now:
            expires_at = None
        settings = app_resources(request.app).settings
        return DataExportStatusOut(
            id=export.id,
            status=export.status,
            created_at=export.created_at,
            completed_at=export.completed_at,
            download_url=(
                None
                if expires_at is None
                else download_url(settings.public_api_url, settings.jwt_secret, export.id, expires_at)
            ),
            expires_at=expires_at,
        )

    @get("/download/{export_id:uuid}")
    async def download(
        self,
        request: Request[Any, Any, Any],
        export_id: FromPath[UUID],
        expires: FromQuery[int],
        signature: Signature,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
    ) -> Stream:
        resources = app_resources(request.app)
        if not signature_matches(resources.settings.jwt_secret, export_id, expires, signature):
            raise Forbidden("This download link is not valid.", code="invalid_signature")
        if expires <= now.timestamp():
            raise HTTPException(status_code=HTTP_410_GONE, detail="This download link has expired.")
        if await completed_export(tx.connection, export_id) is None:
            raise HTTPException(status_code=HTTP_410_GONE, detail="This data export no longer exists.")
        return Stream(
            _document(resources.database, export_id),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="fitnudge_data_export.json"'},
        )
