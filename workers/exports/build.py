"""Building a data export: everything the user owns, as one JSON document, in bounded memory.

Each collection is read in keyset batches of BATCH_ROWS in (created_at, id) order and written out as
it is read, into data_export_chunks of about CHUNK_CHARS, so neither a year of check-ins nor 10,000
notifications is ever held at once. The whole build is one transaction: a crash leaves nothing behind
but the counted attempt, and the next attempt starts from scratch (it also clears stray chunks). The
ready mail goes into the outbox in the same transaction as the completed status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db import data_exports as exports
from db.data_exports import EXPORT_OWNER
from db.outgoing_mail import MailDraft
from db.tables import (
    accountability_partners,
    achievement_types,
    check_ins,
    device_tokens,
    goals,
    notification_history,
    social_nudges,
    subscriptions,
    user_achievements,
    users,
)
from domain.mail_copy import data_export_mail
from services.export_links import LINK_LIFETIME, download_url, link_expiry
from services.mail import queue_mail
from services.transaction import Database
from settings import Settings

BATCH_ROWS: Final = 1_000
CHUNK_CHARS: Final = 256 * 1024
FORMAT_VERSION: Final = "V2"


@dataclass(frozen=True, slots=True)
class Section:
    """One array of the document: `columns` of the rows `owned` picks (written with EXPORT_OWNER), walked
    in `keyed`'s (created_at, id) order."""

    name: str
    columns: Sequence[sa.ColumnElement[Any]]
    owned: sa.ColumnElement[bool]
    keyed: sa.Table


def _owned_by(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return column == EXPORT_OWNER


def _all_of(table: sa.Table) -> Section:
    """The whole rows of a table with a user_id column."""
    return Section(str(table.name), list(table.c), _owned_by(table.c.user_id), table)


_BADGE_COLUMNS: Final = (
    "badge_key",
    "badge_name",
    "badge_description",
    "badge_icon",
    "category",
    "rarity",
    "points",
)

# Devices without their push token (a credential for pushing to the phone); referrals as the referred
# people's usernames and join dates only, what the app's referral screen already shows; partnerships on
# either side; badges with the fields of their type (the join is the unlock's own foreign key).
SECTIONS: Final = (
    _all_of(goals),
    _all_of(check_ins),
    Section(
        "notifications",
        list(notification_history.c),
        _owned_by(notification_history.c.user_id),
        notification_history,
    ),
    Section(
        "devices",
        [column for column in device_tokens.c if column.name != "fcm_token"],
        _owned_by(device_tokens.c.user_id),
        device_tokens,
    ),
    _all_of(subscriptions),
    Section(
        "referrals",
        [users.c.id, users.c.username, users.c.created_at],
        _owned_by(users.c.referred_by_user_id),
        users,
    ),
    Section(
        "accountability_partners",
        list(accountability_partners.c),
        sa.or_(
            _owned_by(accountability_partners.c.user_id), _owned_by(accountability_partners.c.partner_user_id)
        ),
        accountability_partners,
    ),
    Section(
        "achievements",
        [*user_achievements.c, *(achievement_types.c[name] for name in _BADGE_COLUMNS)],
        sa.and_(
            _owned_by(user_achievements.c.user_id),
            achievement_types.c.id == user_achievements.c.achievement_type_id,
        ),
        user_achievements,
    ),
)

# Objects of several arrays: "social_nudges": {"sent": [...], "received": [...]}.
GROUPS: Final = (
    (
        "social_nudges",
        (
            Section("sent", list(social_nudges.c), _owned_by(social_nudges.c.sender_id), social_nudges),
            Section(
                "received", list(social_nudges.c), _owned_by(social_nudges.c.recipient_id), social_nudges
            ),
        ),
    ),
)


class BuildOutcome(StrEnum):
    BUILT = "built"
    SKIPPED = "skipped"  # no longer pending: built already, failed, or deleted


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


class ChunkWriter:
    """Appends text to the export's document, storing a chunk whenever CHUNK_CHARS have gathered."""

    def __init__(self, connection: AsyncConnection, export_id: UUID) -> None:
        self._connection = connection
        self._export_id = export_id
        self._parts: list[str] = []
        self._size = 0
        self._seq = 0

    async def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= CHUNK_CHARS:
            await self.flush()

    async def flush(self) -> None:
        if self._parts:
            await exports.append_chunk(self._connection, self._export_id, self._seq, "".join(self._parts))
            self._parts, self._size, self._seq = [], 0, self._seq + 1


async def _write_section(
    writer: ChunkWriter, connection: AsyncConnection, user_id: UUID, section: Section, *, first: bool = False
) -> None:
    await writer.write(f"{'' if first else ','}{_json(section.name)}:[")
    after: tuple[datetime, UUID] | None = None
    separator = ""
    while True:
        rows = await exports.owned_rows_after(
            connection, section.columns, section.owned, section.keyed, user_id, after, limit=BATCH_ROWS
        )
        if rows:
            await writer.write(separator + ",".join(_json(row) for row in rows))
            separator = ","
            after = (rows[-1]["created_at"], rows[-1]["id"])
        if len(rows) < BATCH_ROWS:
            break
    await writer.write("]")


def _metadata(export_id: UUID, user_id: UUID, now: datetime) -> Mapping[str, object]:
    return {"export_date": now, "export_id": export_id, "user_id": user_id, "version": FORMAT_VERSION}


async def build_export(
    database: Database, settings: Settings, export_id: UUID, *, now: datetime
) -> BuildOutcome:
    async with database.transaction() as tx:
        if not await exports.count_attempt(tx.connection, export_id, now=now):
            return BuildOutcome.SKIPPED
    async with database.transaction() as tx:
        user_id = await exports.lock_pending(tx.connection, export_id)
        profile = None if user_id is None else await exports.export_profile(tx.connection, user_id)
        if user_id is None or profile is None:
            return BuildOutcome.SKIPPED
        writer = ChunkWriter(tx.connection, export_id)
        await writer.write(f'{{"export_metadata":{_json(_metadata(export_id, user_id, now))}')
        await writer.write(f',"profile":{_json(profile)}')
        preferences = await exports.export_notification_preferences(tx.connection, user_id)
        await writer.write(f',"notification_preferences":{_json(preferences)}')
        for section in SECTIONS:
            await _write_section(writer, tx.connection, user_id, section)
        for name, members in GROUPS:
            await writer.write(f",{_json(name)}:{{")
            for position, member in enumerate(members):
                await _write_section(writer, tx.connection, user_id, member, first=position == 0)
            await writer.write("}")
        await writer.write("}")
        await writer.flush()
        expires_at = link_expiry(now)
        await exports.mark_completed(tx.connection, export_id, now=now, expires_at=expires_at)
        link = download_url(settings.public_api_url, settings.jwt_secret, export_id, expires_at)
        copy = data_export_mail(link, valid_days=LINK_LIFETIME.days)
        await queue_mail(
            tx,
            MailDraft(
                recipient=profile["email"], subject=copy.subject, text_body=copy.text, html_body=copy.html
            ),
        )
    return BuildOutcome.BUILT
