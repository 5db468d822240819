"""Blog posts, categories and tags: the app's published list and the admins' writes (migration 0009)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import blog_categories, blog_post_categories, blog_post_tags, blog_posts, blog_tags, users


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: UUID
    name: str
    slug: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CategoryCountRow:
    id: UUID
    name: str
    slug: str
    description: str | None
    created_at: datetime
    post_count: int


@dataclass(frozen=True, slots=True)
class TagRow:
    id: UUID
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class PostRow:
    id: UUID
    title: str
    slug: str
    excerpt: str | None
    featured_image_url: str | None
    status: str
    is_featured: bool
    author_id: UUID | None
    author_name: str
    author_picture_url: str | None
    reading_time_minutes: int
    view_count: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    content: str | None  # read for one post, left out of lists
    categories: tuple[CategoryRow, ...]
    tags: tuple[TagRow, ...]


@dataclass(frozen=True, slots=True)
class PostPage:
    rows: list[PostRow]
    total: int


_PUBLISHED = blog_posts.c.status == "published"
_CATEGORY_COLUMNS = (
    blog_categories.c.id,
    blog_categories.c.name,
    blog_categories.c.slug,
    blog_categories.c.description,
    blog_categories.c.created_at,
)


def _post_select(*, with_content: bool) -> sa.Select[Any]:
    return sa.select(
        blog_posts.c.id,
        blog_posts.c.title,
        blog_posts.c.slug,
        blog_posts.c.excerpt,
        blog_posts.c.featured_image_url,
        blog_posts.c.status,
        blog_posts.c.is_featured,
        blog_posts.c.author_id,
        blog_posts.c.author_name,
        users.c.profile_picture_url.label("author_picture_url"),
        blog_posts.c.reading_time_minutes,
        blog_posts.c.view_count,
        blog_posts.c.published_at,
        blog_posts.c.created_at,
        blog_posts.c.updated_at,
        (blog_posts.c.content if with_content else sa.null()).label("content"),
    ).select_from(blog_posts.outerjoin(users, users.c.id == blog_posts.c.author_id))


async def _with_links(connection: AsyncConnection, rows: Sequence[sa.Row[Any]]) -> list[PostRow]:
    """The posts with their categories and tags: two statements for the whole page, never per post."""
    post_ids = [row.id for row in rows]
    categories: dict[UUID, list[CategoryRow]] = {post_id: [] for post_id in post_ids}
    tags: dict[UUID, list[TagRow]] = {post_id: [] for post_id in post_ids}
    if post_ids:
        category_rows = await connection.execute(
            sa.select(blog_post_categories.c.post_id, *_CATEGORY_COLUMNS)
            .join(blog_categories, blog_categories.c.id == blog_post_categories.c.category_id)
            .where(blog_post_categories.c.post_id.in_(post_ids))
            .order_by(blog_categories.c.name, blog_categories.c.id)
        )
        for row in category_rows:
            categories[row.post_id].append(
                CategoryRow(row.id, row.name, row.slug, row.description, row.created_at)
            )
        tag_rows = await connection.execute(
            sa.select(blog_post_tags.c.post_id, blog_tags.c.id, blog_tags.c.name, blog_tags.c.slug)
            .join(blog_tags, blog_tags.c.id == blog_post_tags.c.tag_id)
            .where(blog_post_tags.c.post_id.in_(post_ids))
            .order_by(blog_tags.c.name, blog_tags.c.id)
        )
        for tag in tag_rows:
            tags[tag.post_id].append(TagRow(tag.id, tag.name, tag.slug))
    return [
        PostRow(**row._mapping, categories=tuple(categories[row.id]), tags=tuple(tags[row.id]))
        for row in rows
    ]


def _in_category(category_slug: str) -> sa.ColumnElement[bool]:
    return blog_posts.c.id.in_(
        sa.select(blog_post_categories.c.post_id)
        .join(blog_categories, blog_categories.c.id == blog_post_categories.c.category_id)
        .where(blog_categories.c.slug == category_slug)
    )


async def published_posts(
    connection: AsyncConnection, *, category_slug: str | None, featured_only: bool, limit: int, offset: int
) -> PostPage:
    """Published posts, newest publication first, with the count of all that match."""
    conditions = [_PUBLISHED]
    if category_slug is not None:
        conditions.append(_in_category(category_slug))
    if featured_only:
        conditions.append(blog_posts.c.is_featured)
    rows = (
        await connection.execute(
            _post_select(with_content=False)
            .where(*conditions)
            .order_by(blog_posts.c.published_at.desc(), blog_posts.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = await connection.scalar(sa.select(sa.func.count()).select_from(blog_posts).where(*conditions))
    return PostPage(rows=await _with_links(connection, rows), total=int(total or 0))


async def published_post(connection: AsyncConnection, slug: str) -> PostRow | None:
    rows = (
        await connection.execute(_post_select(with_content=True).where(_PUBLISHED, blog_posts.c.slug == slug))
    ).all()
    posts = await _with_links(connection, rows)
    return posts[0] if posts else None


async def is_published(connection: AsyncConnection, post_id: UUID) -> bool:
    found = await connection.scalar(sa.select(sa.literal(True)).where(blog_posts.c.id == post_id, _PUBLISHED))
    return bool(found)


async def categories_with_counts(connection: AsyncConnection) -> list[CategoryCountRow]:
    """Every category by name, with how many published posts it holds."""
    published_links = (
        sa.select(blog_post_categories.c.category_id, sa.func.count().label("post_count"))
        .join(blog_posts, blog_posts.c.id == blog_post_categories.c.post_id)
        .where(_PUBLISHED)
        .group_by(blog_post_categories.c.category_id)
        .subquery()
    )
    rows = await connection.execute(
        sa.select(*_CATEGORY_COLUMNS, sa.func.coalesce(published_links.c.post_count, 0).label("post_count"))
        .select_from(
            blog_categories.outerjoin(published_links, published_links.c.category_id == blog_categories.c.id)
        )
        .order_by(blog_categories.c.name, blog_categories.c.id)
    )
    return [CategoryCountRow(**row._mapping) for row in rows]


_ADD_VIEWS = sa.text(
    "UPDATE blog_posts SET view_count = blog_posts.view_count + counted.views"
    " FROM unnest(:post_ids, :views) AS counted(post_id, views)"
    " WHERE blog_posts.id = counted.post_id"
).bindparams(
    sa.bindparam("post_ids", type_=ARRAY(PG_UUID(as_uuid=True))),
    sa.bindparam("views", type_=ARRAY(BIGINT)),
)


async def add_views(connection: AsyncConnection, views: Mapping[UUID, int]) -> None:
    """Add each post's counted views in one statement (a post deleted since counts nothing)."""
    if views:
        await connection.execute(_ADD_VIEWS, {"post_ids": list(views), "views": list(views.values())})


# --- Admin writes ---------------------------------------------------------------------------------


async def all_posts(connection: AsyncConnection, *, limit: int, offset: int) -> PostPage:
    """Every post, drafts and archived included, newest written first (the admins' list)."""
    rows = (
        await connection.execute(
            _post_select(with_content=False)
            .order_by(blog_posts.c.created_at.desc(), blog_posts.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = await connection.scalar(sa.select(sa.func.count()).select_from(blog_posts))
    return PostPage(rows=await _with_links(connection, rows), total=int(total or 0))


async def post_by_id(connection: AsyncConnection, post_id: UUID, *, lock: bool = False) -> PostRow | None:
    statement = _post_select(with_content=True).where(blog_posts.c.id == post_id)
    if lock:
        statement = statement.with_for_update(of=blog_posts)
    posts = await _with_links(connection, (await connection.execute(statement)).all())
    return posts[0] if posts else None


async def insert_post(connection: AsyncConnection, values: Mapping[str, object]) -> UUID | None:
    """The new post's id, or None when its slug is taken."""
    statement = (
        pg_insert(blog_posts)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[blog_posts.c.slug])
        .returning(blog_posts.c.id)
    )
    post_id: UUID | None = (await connection.execute(statement)).scalar_one_or_none()
    return post_id


async def slug_taken(connection: AsyncConnection, slug: str, *, other_than: UUID) -> bool:
    found = await connection.scalar(
        sa.select(sa.literal(True)).where(blog_posts.c.slug == slug, blog_posts.c.id != other_than)
    )
    return bool(found)


async def update_post(connection: AsyncConnection, post_id: UUID, values: Mapping[str, object]) -> None:
    await connection.execute(
        sa.update(blog_posts).where(blog_posts.c.id == post_id).values(**values, updated_at=sa.func.now())
    )


async def delete_post(connection: AsyncConnection, post_id: UUID) -> bool:
    deleted = await connection.execute(
        sa.delete(blog_posts).where(blog_posts.c.id == post_id).returning(blog_posts.c.id)
    )
    return deleted.first() is not None


async def missing_ids(connection: AsyncConnection, table: sa.Table, ids: Sequence[UUID]) -> set[UUID]:
    """The ids among `ids` that `table` (blog_categories or blog_tags) does not hold."""
    if not ids:
        return set()
    found = await connection.scalars(sa.select(table.c.id).where(table.c.id.in_(list(ids))))
    return set(ids) - set(found)


async def set_post_links(
    connection: AsyncConnection,
    post_id: UUID,
    *,
    category_ids: Sequence[UUID] | None,
    tag_ids: Sequence[UUID] | None,
) -> None:
    """Replace the post's categories and/or tags (None leaves that kind as it is)."""
    for link, column, ids in (
        (blog_post_categories, "category_id", category_ids),
        (blog_post_tags, "tag_id", tag_ids),
    ):
        if ids is None:
            continue
        await connection.execute(sa.delete(link).where(link.c.post_id == post_id))
        if ids:
            await connection.execute(
                sa.insert(link), [{"post_id": post_id, column: item} for item in dict.fromkeys(ids)]
            )


async def insert_named(
    connection: AsyncConnection, table: sa.Table, values: Mapping[str, object]
) -> sa.Row[Any] | None:
    """A new category or tag row, or None when its slug is taken."""
    statement = (
        pg_insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[table.c.slug])
        .returning(*table.c)
    )
    return (await connection.execute(statement)).first()
