"""blog: posts, categories and tags the app lists, written by admins through /api/v1/admin/blog

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Posts keep their byline (author_name) when the author's account goes (author_id SET NULL), carry
reading_time_minutes derived from the content on every write (a list never reads bodies), and count
views in view_count, written in batches by the web processes (api/blog/views.py). A published post
always has published_at; the app's list reads published posts newest first through a partial index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _timestamps() -> tuple[sa.Column[object], sa.Column[object]]:
    return (
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def _named() -> tuple[sa.Column[object], ...]:
    return (
        _id(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("slug", sa.Text, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "blog_categories",
        *_named(),
        sa.Column("description", sa.Text),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blog_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_blog_categories_slug")),
    )
    op.create_table(
        "blog_tags",
        *_named(),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blog_tags")),
        sa.UniqueConstraint("slug", name=op.f("uq_blog_tags_slug")),
    )
    op.create_table(
        "blog_posts",
        _id(),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("slug", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("excerpt", sa.Text),
        sa.Column("featured_image_url", sa.Text),
        sa.Column("status", sa.Text, server_default="draft", nullable=False),
        sa.Column("is_featured", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("author_id", UUID(as_uuid=True)),
        sa.Column("author_name", sa.Text, nullable=False),
        sa.Column("reading_time_minutes", sa.Integer, nullable=False),
        sa.Column("view_count", sa.BigInteger, server_default="0", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name=op.f("ck_blog_posts_status")),
        sa.CheckConstraint(
            "status <> 'published' OR published_at IS NOT NULL", name=op.f("ck_blog_posts_published_at")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_blog_posts_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blog_posts")),
        sa.UniqueConstraint("slug", name=op.f("uq_blog_posts_slug")),
    )
    op.create_index(
        "ix_blog_posts_published",
        "blog_posts",
        [sa.literal_column("published_at DESC"), sa.literal_column("id DESC")],
        postgresql_where=sa.text("status = 'published'"),
    )
    for link, other, other_table in (
        ("blog_post_categories", "category_id", "blog_categories"),
        ("blog_post_tags", "tag_id", "blog_tags"),
    ):
        op.create_table(
            link,
            sa.Column("post_id", UUID(as_uuid=True), nullable=False),
            sa.Column(other, UUID(as_uuid=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["post_id"], ["blog_posts.id"], name=op.f(f"fk_{link}_post_id_blog_posts"), ondelete="CASCADE"
            ),
            sa.ForeignKeyConstraint(
                [other],
                [f"{other_table}.id"],
                name=op.f(f"fk_{link}_{other}_{other_table}"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("post_id", other, name=op.f(f"pk_{link}")),
        )
        op.create_index(f"ix_{link}_{other}", link, [other])


def downgrade() -> None:
    op.drop_table("blog_post_tags")
    op.drop_table("blog_post_categories")
    op.drop_index("ix_blog_posts_published", table_name="blog_posts")
    op.drop_table("blog_posts")
    op.drop_table("blog_tags")
    op.drop_table("blog_categories")
