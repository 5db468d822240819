"""Bodies of /blog (the app's blog.ts shapes) and /admin/blog (the admins' writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.users.schemas import Name
from db.blog import CategoryCountRow, CategoryRow, PostRow, TagRow
from domain.blog import SLUG_MAX_LENGTH, SLUG_PATTERN

Slug = Annotated[str, Meta(pattern=SLUG_PATTERN, max_length=SLUG_MAX_LENGTH)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
Description = Annotated[str, Meta(max_length=1000)]
Excerpt = Annotated[str, Meta(max_length=1000)]
# A long article is a few thousand words; 200 000 characters leaves room and bounds the row.
Content = Annotated[str, Meta(min_length=1, max_length=200_000)]
ImageUrl = Annotated[str, Meta(pattern=r"^https?://\S+$", max_length=2048)]
PostStatus = Literal["draft", "published", "archived"]
# A post sits in a handful of categories and tags; more is a mistake, and each id is a row to link.
LinkIds = Annotated[list[UUID], Meta(max_length=20)]


class BlogCategoryOut(msgspec.Struct):
    id: UUID
    name: str
    slug: str
    description: str | None

    @classmethod
    def of(cls, row: CategoryRow) -> BlogCategoryOut:
        return cls(id=row.id, name=row.name, slug=row.slug, description=row.description)


class BlogCategoryCountOut(msgspec.Struct):
    id: UUID
    name: str
    slug: str
    description: str | None
    created_at: datetime
    post_count: int

    @classmethod
    def of(cls, row: CategoryCountRow) -> BlogCategoryCountOut:
        return cls(
            id=row.id,
            name=row.name,
            slug=row.slug,
            description=row.description,
            created_at=row.created_at,
            post_count=row.post_count,
        )


class BlogTagOut(msgspec.Struct):
    id: UUID
    name: str
    slug: str

    @classmethod
    def of(cls, row: TagRow) -> BlogTagOut:
        return cls(id=row.id, name=row.name, slug=row.slug)


class BlogAuthorOut(msgspec.Struct):
    """`id` is null once the author's account is gone; the byline stays."""

    id: UUID | None
    name: str
    profile_picture_url: str | None


class BlogPostOut(msgspec.Struct, omit_defaults=True):
    """A post as the app's BlogPost type reads it; `content` only where one post is read."""

    id: UUID
    title: str
    slug: str
    excerpt: str | None
    featured_image_url: str | None
    status: str
    is_featured: bool
    author: BlogAuthorOut
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    categories: list[BlogCategoryOut]
    tags: list[BlogTagOut]
    reading_time_minutes: int
    view_count: int
    content: str | None = None

    @classmethod
    def of(cls, row: PostRow) -> BlogPostOut:
        return cls(
            id=row.id,
            title=row.title,
            slug=row.slug,
            excerpt=row.excerpt,
            featured_image_url=row.featured_image_url,
            status=row.status,
            is_featured=row.is_featured,
            author=BlogAuthorOut(
                id=row.author_id, name=row.author_name, profile_picture_url=row.author_picture_url
            ),
            published_at=row.published_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            categories=[BlogCategoryOut.of(category) for category in row.categories],
            tags=[BlogTagOut.of(tag) for tag in row.tags],
            reading_time_minutes=row.reading_time_minutes,
            view_count=row.view_count,
            content=row.content,
        )


class BlogPostsPageOut(msgspec.Struct):
    """The app's BlogPostsResponse: one page by number, the count of all, and whether more follow."""

    data: list[BlogPostOut]
    total: int
    page: int
    limit: int
    has_more: bool


class BlogPostCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new post; the slug defaults to one made from the title, the byline to the admin's name."""

    title: Title
    content: Content
    slug: Slug | None = None
    excerpt: Excerpt | None = None
    featured_image_url: ImageUrl | None = None
    status: PostStatus = "draft"
    is_featured: bool = False
    author_name: Name | None = None
    category_ids: LinkIds = msgspec.field(default_factory=list)
    tag_ids: LinkIds = msgspec.field(default_factory=list)


class BlogPostUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any subset; a field left out stays, null clears the optional ones; id lists replace the links."""

    title: Title | UnsetType = UNSET
    content: Content | UnsetType = UNSET
    slug: Slug | UnsetType = UNSET
    excerpt: Excerpt | UnsetType | None = UNSET
    featured_image_url: ImageUrl | UnsetType | None = UNSET
    status: PostStatus | UnsetType = UNSET
    is_featured: bool | UnsetType = UNSET
    author_name: Name | UnsetType = UNSET
    category_ids: LinkIds | UnsetType = UNSET
    tag_ids: LinkIds | UnsetType = UNSET


class BlogCategoryIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    slug: Slug | None = None
    description: Description | None = None


class BlogTagIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    slug: Slug | None = None


class MessageOut(msgspec.Struct):
    message: str
