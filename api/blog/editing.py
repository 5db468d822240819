"""The admins' writes to the blog: posts with their links, categories and tags.

Every check runs before the first write, so a refused request leaves nothing behind (and the request's
transaction rolls back whatever a later failure would have left).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.blog.schemas import BlogCategoryIn, BlogPostCreateIn, BlogPostUpdateIn, BlogTagIn
from db.blog import (
    PostRow,
    insert_named,
    insert_post,
    missing_ids,
    post_by_id,
    set_post_links,
    slug_taken,
    update_post,
)
from db.tables import blog_categories, blog_tags
from db.users import role_and_name
from domain.blog import published_at_after, reading_time_minutes, slug_from
from domain.errors import Conflict, NotFound, RuleBroken


def blog_post_not_found() -> NotFound:
    return NotFound("No such blog post.", code="blog_post_not_found")


def _slug(given: str | None, name: str) -> str:
    slug = given or slug_from(name)
    if not slug:
        raise RuleBroken(
            "Give a slug: the name has no letters or digits to make one from.", code="blog_slug_required"
        )
    return slug


async def _ensure_links_exist(
    connection: AsyncConnection, category_ids: Sequence[UUID] | None, tag_ids: Sequence[UUID] | None
) -> None:
    for table, ids, code in (
        (blog_categories, category_ids, "blog_category_not_found"),
        (blog_tags, tag_ids, "blog_tag_not_found"),
    ):
        missing = await missing_ids(connection, table, ids or [])
        if missing:
            raise RuleBroken(
                f"Unknown {table.name.removeprefix('blog_')}: {', '.join(sorted(map(str, missing)))}.",
                code=code,
            )


async def _post(connection: AsyncConnection, post_id: UUID) -> PostRow:
    row = await post_by_id(connection, post_id)
    if row is None:  # written in this transaction, so it is there
        raise blog_post_not_found()
    return row


async def create_post(
    connection: AsyncConnection,
    author_id: UUID,
    data: BlogPostCreateIn,
    *,
    now: datetime,
) -> PostRow:
    slug = _slug(data.slug, data.title)
    await _ensure_links_exist(connection, data.category_ids, data.tag_ids)
    author = await role_and_name(connection, author_id)
    if author is None:  # the caller's account, deleted since its token was checked
        raise NotFound("This account no longer exists.")
    post_id = await insert_post(
        connection,
        {
            "title": data.title,
            "slug": slug,
            "content": data.content,
            "excerpt": data.excerpt,
            "featured_image_url": data.featured_image_url,
            "status": data.status,
            "is_featured": data.is_featured,
            "author_id": author_id,
            "author_name": data.author_name or author.name,
            "reading_time_minutes": reading_time_minutes(data.content),
            "published_at": published_at_after(data.status, None, now),
        },
    )
    if post_id is None:
        raise Conflict(f"The slug {slug!r} is taken.", code="blog_slug_taken")
    await set_post_links(connection, post_id, category_ids=data.category_ids, tag_ids=data.tag_ids)
    return await _post(connection, post_id)


async def edit_post(
    connection: AsyncConnection, post_id: UUID, data: BlogPostUpdateIn, *, now: datetime
) -> PostRow:
    row = await post_by_id(connection, post_id, lock=True)
    if row is None:
        raise blog_post_not_found()
    changes: dict[str, Any] = {
        name: getattr(data, name)
        for name in ("title", "slug", "excerpt", "featured_image_url", "is_featured", "author_name")
        if getattr(data, name) is not msgspec.UNSET
    }
    if data.content is not msgspec.UNSET:
        changes |= {"content": data.content, "reading_time_minutes": reading_time_minutes(data.content)}
    if data.status is not msgspec.UNSET:
        changes |= {
            "status": data.status,
            "published_at": published_at_after(data.status, row.published_at, now),
        }
    if "slug" in changes and await slug_taken(connection, changes["slug"], other_than=post_id):
        raise Conflict(f"The slug {changes['slug']!r} is taken.", code="blog_slug_taken")
    category_ids = None if data.category_ids is msgspec.UNSET else data.category_ids
    tag_ids = None if data.tag_ids is msgspec.UNSET else data.tag_ids
    await _ensure_links_exist(connection, category_ids, tag_ids)
    if changes:
        await update_post(connection, post_id, changes)
    await set_post_links(connection, post_id, category_ids=category_ids, tag_ids=tag_ids)
    return await _post(connection, post_id)


async def create_named(
    connection: AsyncConnection, table: sa.Table, data: BlogCategoryIn | BlogTagIn
) -> sa.Row[Any]:
    """A new category or tag; 409 when its slug is taken."""
    slug = _slug(data.slug, data.name)
    values: dict[str, Any] = {"name": data.name, "slug": slug}
    if isinstance(data, BlogCategoryIn):
        values["description"] = data.description
    row = await insert_named(connection, table, values)
    if row is None:
        raise Conflict(f"The slug {slug!r} is taken.", code="blog_slug_taken")
    return row
