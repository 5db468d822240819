"""/admin/blog: admins (users.role = 'admin') write posts, categories and tags.

Routes in the installed package rather than a command, so production needs nothing but the API and an
admin's token. The controller's guard refuses other callers with 403 before any dependency runs: a
dependency that raised after the request's transaction had opened would leave that transaction
unclosed (Litestar cleans generator dependencies up only around the handler).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth.jwt import AuthUser
from api.auth.request import AuthRequest
from api.blog.editing import blog_post_not_found, create_named, create_post, edit_post
from api.blog.schemas import (
    BlogCategoryIn,
    BlogCategoryOut,
    BlogPostCreateIn,
    BlogPostOut,
    BlogPostsPageOut,
    BlogPostUpdateIn,
    BlogTagIn,
    BlogTagOut,
    MessageOut,
)
from api.pagination import Limit, PageNumber, rows_to_skip
from api.resources import app_resources
from db.blog import CategoryRow, TagRow, all_posts, delete_post, post_by_id
from db.tables import blog_categories, blog_tags
from db.users import role_and_name
from domain.errors import Forbidden
from services.transaction import Transaction

ADMIN_ROLE = "admin"


async def admin_only(connection: ASGIConnection[Any, AuthUser, Any, Any], _: BaseRouteHandler) -> None:
    # The OPTIONS answers Litestar adds to every path pass the auth middleware unauthenticated (CORS
    # preflights carry no token); they name the allowed methods and touch no data.
    if connection.scope.get("method") == "OPTIONS":
        return
    async with app_resources(connection.app).database.single_statement() as db:
        caller = await role_and_name(db, connection.user.id)
    if caller is None or caller.role != ADMIN_ROLE:
        raise Forbidden("Only an admin can do this.", code="admin_only")


class BlogAdminController(Controller):
    path = "/admin/blog"
    tags = ["blog"]
    guards = [admin_only]

    @get("/posts")
    async def posts(
        self,
        tx: NamedDependency[Transaction],
        page: PageNumber = None,
        limit: Limit = 20,
    ) -> BlogPostsPageOut:
        """Every post, drafts and archived included, newest written first."""
        number = page or 1
        skipped = rows_to_skip(offset=None, page=number, limit=limit)
        found = await all_posts(tx.connection, limit=limit, offset=skipped)
        return BlogPostsPageOut(
            data=[BlogPostOut.of(row) for row in found.rows],
            total=found.total,
            page=number,
            limit=limit,
            has_more=skipped + len(found.rows) < found.total,
        )

    @get("/posts/{post_id:uuid}")
    async def one_post(self, tx: NamedDependency[Transaction], post_id: FromPath[UUID]) -> BlogPostOut:
        row = await post_by_id(tx.connection, post_id)
        if row is None:
            raise blog_post_not_found()
        return BlogPostOut.of(row)

    @post("/posts", status_code=HTTP_201_CREATED)
    async def create(
        self,
        request: AuthRequest,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        data: JSONBody[BlogPostCreateIn],
    ) -> BlogPostOut:
        """A post; `published` stamps published_at the first time."""
        return BlogPostOut.of(await create_post(tx.connection, request.user.id, data, now=now))

    @put("/posts/{post_id:uuid}")
    async def update(
        self,
        tx: NamedDependency[Transaction],
        now: NamedDependency[datetime],
        post_id: FromPath[UUID],
        data: JSONBody[BlogPostUpdateIn],
    ) -> BlogPostOut:
        return BlogPostOut.of(await edit_post(tx.connection, post_id, data, now=now))

    @delete("/posts/{post_id:uuid}", status_code=HTTP_200_OK)
    async def remove(self, tx: NamedDependency[Transaction], post_id: FromPath[UUID]) -> MessageOut:
        if not await delete_post(tx.connection, post_id):
            raise blog_post_not_found()
        return MessageOut(message="Blog post deleted")

    @post("/categories", status_code=HTTP_201_CREATED)
    async def create_category(
        self,
        tx: NamedDependency[Transaction],
        data: JSONBody[BlogCategoryIn],
    ) -> BlogCategoryOut:
        row = await create_named(tx.connection, blog_categories, data)
        return BlogCategoryOut.of(CategoryRow(row.id, row.name, row.slug, row.description, row.created_at))

    @post("/tags", status_code=HTTP_201_CREATED)
    async def create_tag(self, tx: NamedDependency[Transaction], data: JSONBody[BlogTagIn]) -> BlogTagOut:
        row = await create_named(tx.connection, blog_tags, data)
        return BlogTagOut.of(TagRow(row.id, row.name, row.slug))
