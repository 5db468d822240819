"""/blog (public, the app's blog.ts shapes) and /admin/blog (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection

from api.app import create_app
from api.resources import app_resources
from db.tables import blog_categories, blog_posts, users
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.support.client import api_client
from tests.support.users import ApiUser

ADMIN = "/api/v1/admin/blog"
POSTS = "/api/v1/blog/posts"
CATEGORIES = "/api/v1/blog/categories"


async def admin_post(
    client: httpx.AsyncClient, admin: ApiUser, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(f"{ADMIN}{path}", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def new_post(client: httpx.AsyncClient, admin: ApiUser, title: str, **fields: Any) -> dict[str, Any]:
    return await admin_post(
        client, admin, "/posts", {"title": title, "content": "word " * 450, "status": "published", **fields}
    )


async def set_published_at(connection: AsyncConnection, post: dict[str, Any], day: int) -> None:
    await connection.execute(
        sa.update(blog_posts)
        .where(blog_posts.c.id == UUID(post["id"]))
        .values(published_at=datetime(2026, 1, day, tzinfo=UTC))
    )


async def post_count(connection: AsyncConnection) -> int:
    return int(await connection.scalar(sa.select(sa.func.count()).select_from(blog_posts)) or 0)


@pytest.fixture
async def admin(make_user: MakeUser) -> ApiUser:
    return await make_user(role="admin", name="Ada Admin", profile_picture_url="https://example.com/ada.png")


async def test_the_app_lists_published_posts_newest_first_in_its_shape_with_paging(
    client: httpx.AsyncClient, connection: AsyncConnection, admin: ApiUser
) -> None:
    # Given a category, a tag, three published posts on three days and a draft
    habits = await admin_post(client, admin, "/categories", {"name": "Habits", "description": "Routines"})
    mornings = await admin_post(client, admin, "/tags", {"name": "Mornings"})
    oldest = await new_post(client, admin, "Oldest", category_ids=[habits["id"]])
    middle = await new_post(client, admin, "Middle")
    newest = await new_post(client, admin, "Newest", category_ids=[habits["id"]], tag_ids=[mornings["id"]])
    await new_post(client, admin, "Draft", status="draft")
    for day, post in enumerate((oldest, middle, newest), start=1):
        await set_published_at(connection, post, day)
    # When the app reads two posts a page (no token), then by category slug, then an unknown category
    first = await client.get(POSTS, params={"page": 1, "limit": 2})
    second = (await client.get(POSTS, params={"page": 2, "limit": 2})).json()
    by_category = (await client.get(POSTS, params={"category": "habits"})).json()
    unknown = (await client.get(POSTS, params={"category": "nothing-here"})).json()
    # Then the pages are BlogPostsResponse, newest first, drafts left out
    assert first.status_code == 200
    body = first.json()
    assert [post["title"] for post in body["data"]] == ["Newest", "Middle"]
    assert (body["total"], body["page"], body["limit"], body["has_more"]) == (3, 1, 2, True)
    assert ([post["title"] for post in second["data"]], second["has_more"]) == (["Oldest"], False)
    assert [post["title"] for post in by_category["data"]] == ["Newest", "Oldest"]
    assert unknown == {"data": [], "total": 0, "page": 1, "limit": 10, "has_more": False}
    # And each post carries what the app's BlogPost type reads (no body in a list)
    post = body["data"][0]
    assert post["slug"] == "newest"
    assert post["author"] == {
        "id": str(admin.id),
        "name": "Ada Admin",
        "profile_picture_url": "https://example.com/ada.png",
    }
    assert post["categories"] == [
        {"id": habits["id"], "name": "Habits", "slug": "habits", "description": "Routines"}
    ]
    assert post["tags"] == [{"id": mornings["id"], "name": "Mornings", "slug": "mornings"}]
    assert (post["reading_time_minutes"], post["view_count"], post["status"]) == (2, 0, "published")
    assert post["published_at"].startswith("2026-01-03")
    assert "content" not in post


async def test_featured_posts_come_as_the_bare_array_the_app_expects(
    client: httpx.AsyncClient, admin: ApiUser
) -> None:
    await new_post(client, admin, "Plain")
    await new_post(client, admin, "Star", is_featured=True)
    await new_post(client, admin, "Hidden star", is_featured=True, status="draft")
    response = await client.get(POSTS, params={"limit": 5, "featured": "true"})
    assert response.status_code == 200
    assert [post["title"] for post in response.json()] == ["Star"]


async def test_categories_count_published_posts_only(client: httpx.AsyncClient, admin: ApiUser) -> None:
    habits = await admin_post(client, admin, "/categories", {"name": "Habits"})
    await admin_post(client, admin, "/categories", {"name": "Sleep", "slug": "rest"})
    await new_post(client, admin, "One", category_ids=[habits["id"]])
    await new_post(client, admin, "Two", category_ids=[habits["id"]], status="draft")
    response = await client.get(CATEGORIES)
    assert response.status_code == 200
    counts = {category["slug"]: category["post_count"] for category in response.json()}
    assert counts == {"habits": 1, "rest": 0}
    assert set(response.json()[0]) == {"id", "name", "slug", "description", "created_at", "post_count"}


async def test_one_published_post_by_slug_with_its_content(client: httpx.AsyncClient, admin: ApiUser) -> None:
    await new_post(client, admin, "Read me", content="Short and sweet.")
    await new_post(client, admin, "Not yet", status="draft")
    found = await client.get(f"{POSTS}/read-me")
    assert (found.status_code, found.json()["content"]) == (200, "Short and sweet.")
    draft = await client.get(f"{POSTS}/not-yet")
    assert (draft.status_code, draft.json()["code"]) == (404, "blog_post_not_found")


async def test_views_are_counted_in_one_batched_write_not_per_view(
    app: Litestar, client: httpx.AsyncClient, connection: AsyncConnection, admin: ApiUser
) -> None:
    # Given two published posts
    first = await new_post(client, admin, "First")
    second = await new_post(client, admin, "Second")
    # When the first is viewed three times and the second once
    for post in (first, first, first, second):
        response = await client.post(f"{POSTS}/{post['id']}/view", json={})
        assert (response.status_code, response.json()) == (200, {"message": "View tracked"})
    # Then nothing is written per view; the process's flush adds them up
    counts = sa.select(blog_posts.c.title, blog_posts.c.view_count).order_by(blog_posts.c.title)
    assert [tuple(row) for row in await connection.execute(counts)] == [("First", 0), ("Second", 0)]
    await app_resources(app).blog_views.flush()
    assert [tuple(row) for row in await connection.execute(counts)] == [("First", 3), ("Second", 1)]


async def test_views_noted_by_a_process_are_written_when_it_stops(
    settings: Settings, database: Any, client: httpx.AsyncClient, connection: AsyncConnection, admin: ApiUser
) -> None:
    post = await new_post(client, admin, "Popular")
    async with api_client(create_app(settings, database=database)) as web_process:
        await web_process.post(f"{POSTS}/{post['id']}/view", json={})
    views = await connection.scalar(
        sa.select(blog_posts.c.view_count).where(blog_posts.c.id == UUID(post["id"]))
    )
    assert views == 1


async def test_a_view_of_an_unknown_or_unpublished_post_is_404(
    client: httpx.AsyncClient, admin: ApiUser
) -> None:
    draft = await new_post(client, admin, "Draft", status="draft")
    for post_id in (str(uuid4()), draft["id"]):
        response = await client.post(f"{POSTS}/{post_id}/view", json={})
        assert (response.status_code, response.json()["code"]) == (404, "blog_post_not_found")
    malformed = await client.post(f"{POSTS}/not-a-uuid/view", json={})
    assert 400 <= malformed.status_code < 500
    assert {"detail", "code"} <= malformed.json().keys()


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"page": 0}, {"category": "Not A Slug"}, {"featured": "maybe"}]
)
async def test_bad_list_parameters_are_422(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get(POSTS, params=params)
    assert response.status_code == 422
    assert {"detail", "code"} <= response.json().keys()


# --- Admin writes ----------------------------------------------------------------------------------


async def test_a_user_who_is_not_an_admin_cannot_write_or_list_drafts(
    client: httpx.AsyncClient, connection: AsyncConnection, make_user: MakeUser, admin: ApiUser
) -> None:
    # Given a post written by an admin, and a signed-in user who is not one
    post = await new_post(client, admin, "Mine")
    user = await make_user()
    body = {"title": "Spam", "content": "Buy now"}
    # When that user tries every admin route
    responses = [
        await client.post(f"{ADMIN}/posts", json=body, headers=user.headers),
        await client.put(f"{ADMIN}/posts/{post['id']}", json={"title": "Hacked"}, headers=user.headers),
        await client.delete(f"{ADMIN}/posts/{post['id']}", headers=user.headers),
        await client.get(f"{ADMIN}/posts", headers=user.headers),
        await client.get(f"{ADMIN}/posts/{post['id']}", headers=user.headers),
        await client.post(f"{ADMIN}/categories", json={"name": "Spam"}, headers=user.headers),
        await client.post(f"{ADMIN}/tags", json={"name": "Spam"}, headers=user.headers),
    ]
    # Then each is 403 admin_only, and without a token 401; nothing changed
    assert {(response.status_code, response.json()["code"]) for response in responses} == {
        (403, "admin_only")
    }
    assert (await client.post(f"{ADMIN}/posts", json=body)).status_code == 401
    # And a refusal leaves no request state behind: the next request is served
    assert (await client.get(POSTS)).status_code == 200
    titles = (await connection.scalars(sa.select(blog_posts.c.title))).all()
    assert titles == ["Mine"]
    assert await connection.scalar(sa.select(sa.func.count()).select_from(blog_categories)) == 0


async def test_publishing_stamps_published_at_once_and_edits_recompute_reading_time_and_links(
    client: httpx.AsyncClient, admin: ApiUser
) -> None:
    # Given a draft in one category
    habits = await admin_post(client, admin, "/categories", {"name": "Habits"})
    sleep = await admin_post(client, admin, "/categories", {"name": "Sleep"})
    draft = await new_post(client, admin, "Draft", status="draft", category_ids=[habits["id"]])
    assert draft["published_at"] is None
    url = f"{ADMIN}/posts/{draft['id']}"
    # When it is published, then archived and published again, with a longer body and another category
    published = (await client.put(url, json={"status": "published"}, headers=admin.headers)).json()
    await client.put(url, json={"status": "archived"}, headers=admin.headers)
    again = await client.put(
        url,
        json={
            "status": "published",
            "content": "word " * 1000,
            "category_ids": [sleep["id"]],
            "excerpt": None,
        },
        headers=admin.headers,
    )
    # Then published_at is the first publication's, and the reading time and categories follow the edit
    assert again.status_code == 200, again.text
    body = again.json()
    assert published["published_at"] is not None
    assert body["published_at"] == published["published_at"]
    assert (body["reading_time_minutes"], [category["slug"] for category in body["categories"]]) == (
        5,
        ["sleep"],
    )
    assert body["excerpt"] is None
    # And the admin list shows every status
    listed = (await client.get(f"{ADMIN}/posts", headers=admin.headers)).json()
    assert (listed["total"], listed["data"][0]["status"]) == (1, "published")


async def test_a_deleted_authors_posts_keep_their_byline(
    client: httpx.AsyncClient, connection: AsyncConnection, admin: ApiUser
) -> None:
    post = await new_post(client, admin, "Legacy")
    await connection.execute(sa.delete(users).where(users.c.id == admin.id))
    listed = (await client.get(POSTS)).json()["data"]
    assert [item["author"] for item in listed] == [
        {"id": None, "name": "Ada Admin", "profile_picture_url": None}
    ]
    assert listed[0]["id"] == post["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"title": "", "content": "x"}, 422, "validation_error"),
        ({"title": "T", "content": "x", "status": "live"}, 422, "validation_error"),
        ({"title": "T", "content": "x", "slug": "Not A Slug"}, 422, "validation_error"),
        (
            {"title": "T", "content": "x", "featured_image_url": "javascript:alert(1)"},
            422,
            "validation_error",
        ),
        ({"title": "T", "content": "x", "extra": 1}, 422, "validation_error"),
        ({"title": "???", "content": "x"}, 400, "blog_slug_required"),
        ({"title": "T", "content": "x", "category_ids": [str(uuid4())]}, 400, "blog_category_not_found"),
        ({"title": "T", "content": "x", "tag_ids": [str(uuid4())]}, 400, "blog_tag_not_found"),
        ({"title": "Taken", "content": "x"}, 409, "blog_slug_taken"),
    ],
)
async def test_bad_posts_are_refused_with_the_error_body_and_write_nothing(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    admin: ApiUser,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    await new_post(client, admin, "Taken")
    response = await client.post(f"{ADMIN}/posts", json=body, headers=admin.headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await post_count(connection) == 1


async def test_edits_of_an_unknown_post_or_to_a_taken_slug_are_refused(
    client: httpx.AsyncClient, admin: ApiUser
) -> None:
    await new_post(client, admin, "First")
    second = await new_post(client, admin, "Second")
    unknown = await client.put(f"{ADMIN}/posts/{uuid4()}", json={"title": "X"}, headers=admin.headers)
    taken = await client.put(f"{ADMIN}/posts/{second['id']}", json={"slug": "first"}, headers=admin.headers)
    gone = await client.delete(f"{ADMIN}/posts/{uuid4()}", headers=admin.headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "blog_post_not_found")
    assert (taken.status_code, taken.json()["code"]) == (409, "blog_slug_taken")
    assert (gone.status_code, gone.json()["code"]) == (404, "blog_post_not_found")
    deleted = await client.delete(f"{ADMIN}/posts/{second['id']}", headers=admin.headers)
    assert deleted.status_code == 200
    assert (await client.get(f"{POSTS}/second")).status_code == 404


async def test_a_category_or_tag_slug_is_unique(client: httpx.AsyncClient, admin: ApiUser) -> None:
    await admin_post(client, admin, "/categories", {"name": "Habits"})
    again = await client.post(f"{ADMIN}/categories", json={"name": "Habits!"}, headers=admin.headers)
    assert (again.status_code, again.json()["code"]) == (409, "blog_slug_taken")
    await admin_post(client, admin, "/tags", {"name": "Sleep"})
    tag_again = await client.post(f"{ADMIN}/tags", json={"name": "sleep"}, headers=admin.headers)
    assert (tag_again.status_code, tag_again.json()["code"]) == (409, "blog_slug_taken")
