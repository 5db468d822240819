"""/blog: the published posts, categories and view counts the app reads (public, see api/auth/jwt.py).

Posts are written by admins through /admin/blog (api/blog/admin.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncConnection

from api.blog.editing import blog_post_not_found
from api.blog.schemas import BlogCategoryCountOut, BlogPostOut, BlogPostsPageOut, MessageOut
from api.pagination import Limit, PageNumber, rows_to_skip
from api.resources import app_resources
from db.blog import categories_with_counts, is_published, published_post, published_posts
from domain.blog import SLUG_MAX_LENGTH, SLUG_PATTERN
from services.transaction import Transaction

CategorySlug = Annotated[str | None, QueryParameter(pattern=SLUG_PATTERN, max_length=SLUG_MAX_LENGTH)]
DEFAULT_PAGE_SIZE = 10


class BlogController(Controller):
    path = "/blog"
    tags = ["blog"]

    @get("/posts")
    async def posts(
        self,
        tx: NamedDependency[Transaction],
        page: PageNumber = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        category: CategorySlug = None,
        featured: FromQuery[bool] = False,
    ) -> BlogPostsPageOut | list[BlogPostOut]:
        """Published posts, newest first, as the app's BlogPostsResponse; `category` is a slug (an
        unknown one is an empty page). `featured=true` answers the bare array of featured posts the
        app's getFeaturedPosts expects."""
        number = page or 1
        skipped = rows_to_skip(offset=None, page=number, limit=limit)
        # A page, its count and its links: one transaction, so they agree.
        found = await published_posts(
            tx.connection, category_slug=category, featured_only=featured, limit=limit, offset=skipped
        )
        data = [BlogPostOut.of(row) for row in found.rows]
        if featured:
            return data
        return BlogPostsPageOut(
            data=data, total=found.total, page=number, limit=limit, has_more=skipped + len(data) < found.total
        )

    @get("/posts/{slug:str}")
    async def one_post(self, tx: NamedDependency[Transaction], slug: FromPath[str]) -> BlogPostOut:
        """One published post with its content (the app opens the web page instead; kept for it)."""
        row = await published_post(tx.connection, slug)
        if row is None:
            raise blog_post_not_found()
        return BlogPostOut.of(row)

    @get("/categories")
    async def categories(self, single_read: NamedDependency[AsyncConnection]) -> list[BlogCategoryCountOut]:
        return [BlogCategoryCountOut.of(row) for row in await categories_with_counts(single_read)]

    @post("/posts/{post_id:uuid}/view", status_code=HTTP_200_OK)
    async def view(
        self,
        request: Request[Any, Any, Any],
        single_read: NamedDependency[AsyncConnection],
        post_id: FromPath[UUID],
    ) -> Response[MessageOut]:
        """Counts one view of a published post; the count is written within a second, in a batch
        (api/blog/views.py), so a popular post's row is never locked per view."""
        if not await is_published(single_read, post_id):
            raise blog_post_not_found()
        app_resources(request.app).blog_views.add(post_id)
        return Response(MessageOut(message="View tracked"))
