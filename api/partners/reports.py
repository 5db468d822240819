"""POST /partners/report/{user_id} (§3.4 Report): one report per reporter → target per 24 hours; the
caller may block the user in the same request, also when the report itself is a repeat."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api.partners.requests import block_user
from api.partners.schemas import ReportIn, ReportOut
from db.partnerships import lock_partner_limits
from db.user_reports import insert_report_unless_recent
from db.users import fetch_public_profile
from domain.errors import NotFound, RuleBroken
from services.transaction import Transaction


async def report_user(tx: Transaction, me: UUID, target: UUID, data: ReportIn, *, now: datetime) -> ReportOut:
    connection = tx.connection
    if target == me:
        raise RuleBroken("You cannot report yourself.", code="cannot_report_self")
    if await fetch_public_profile(connection, target) is None:
        raise NotFound("User not found.", code="user_not_found")
    # Serialises the caller's reports (and partner writes), so two at once make one report.
    await lock_partner_limits(connection, [me])
    report_id = await insert_report_unless_recent(
        connection, me, target, reason=data.reason, details=data.details, now=now
    )
    if data.block_partner:
        await block_user(tx, me, target, now=now)
    message = (
        "Thanks, your report was sent."
        if report_id is not None
        else "You already reported this user recently."
    )
    return ReportOut(message=message, report_id=report_id, blocked=data.block_partner)
