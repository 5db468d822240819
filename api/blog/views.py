"""Blog view counts: each view is noted in memory and the web process adds them up per post and
writes them in one UPDATE every second and at shutdown (api/write_behind.py).

A popular post is one hot row; an UPDATE per view would queue every reader of it behind the last
one's row lock. A count up to a second late, or a second of views lost to a crashed process, is not
seen by anyone (the app shows no live counter).
"""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from api.write_behind import WriteBehind
from db.blog import add_views
from services.transaction import Database


async def _add_counted(connection: AsyncConnection, post_ids: list[UUID]) -> None:
    await add_views(connection, Counter(post_ids))


class BlogViews(WriteBehind[UUID]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, _add_counted, what="blog views")
