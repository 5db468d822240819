"""app configuration and app versions: the values the app reads before anyone logs in

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

app_config holds the store, legal and help URLs the app opens (its AppConfigKey list), keyed by name
and grouped by category; app_versions holds, per store platform, the latest and minimum versions
behind the app's update prompt. Both are tables rather than settings so that a store URL fix or a
forced update after a bad release is one UPDATE, without a server deploy. The seed is the launch
configuration; later changes are data, not migrations. Versions are checked against the pattern of
domain/app_versions.py (spelled out here: a migration must not move when the code does).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSION_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$"

_CONFIG = [
    (
        "ios_app_store_url",
        "https://apps.apple.com/app/fitnudge/id0000000000",
        "app_store_urls",
        "iOS App Store page",
    ),
    (
        "android_play_store_url",
        "https://play.google.com/store/apps/details?id=com.fitnudge.app",
        "app_store_urls",
        "Google Play page",
    ),
    ("privacy_policy_url", "https://fitnudge.app/privacy-policy", "external_urls", "Privacy policy"),
    ("terms_of_service_url", "https://fitnudge.app/terms-of-service", "external_urls", "Terms of service"),
    ("help_center_url", "https://fitnudge.app/help", "external_urls", "Help center"),
    ("tally_feedback_url", "https://tally.so/r/fitnudge", "external_urls", "Feedback form"),
    ("tawk_chat_url", "https://tawk.to/fitnudge", "external_urls", "Live chat"),
    ("contact_email", "mailto:hello@fitnudge.app", "external_urls", "Contact address (a mailto link)"),
]


def _timestamps() -> tuple[sa.Column[object], sa.Column[object]]:
    return (
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def upgrade() -> None:
    config = op.create_table(
        "app_config",
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.true()),
        *_timestamps(),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_config")),
    )
    versions = op.create_table(
        "app_versions",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("latest_version", sa.Text, nullable=False),
        sa.Column("minimum_version", sa.Text, nullable=False),
        sa.Column("force_update", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("release_notes", sa.Text),
        sa.Column("store_url", sa.Text),
        *_timestamps(),
        sa.PrimaryKeyConstraint("platform", name=op.f("pk_app_versions")),
        sa.CheckConstraint("platform IN ('ios', 'android')", name=op.f("ck_app_versions_platform")),
        sa.CheckConstraint(
            f"latest_version ~ '{_VERSION_PATTERN}'", name=op.f("ck_app_versions_latest_version")
        ),
        sa.CheckConstraint(
            f"minimum_version ~ '{_VERSION_PATTERN}'", name=op.f("ck_app_versions_minimum_version")
        ),
    )
    op.bulk_insert(
        config,
        [
            {"key": key, "value": value, "category": category, "description": text}
            for key, value, category, text in _CONFIG
        ],
    )
    stores = {key: value for key, value, _, _ in _CONFIG}
    op.bulk_insert(
        versions,
        [
            {
                "platform": "ios",
                "latest_version": "1.0.0",
                "minimum_version": "1.0.0",
                "store_url": stores["ios_app_store_url"],
            },
            {
                "platform": "android",
                "latest_version": "1.0.0",
                "minimum_version": "1.0.0",
                "store_url": stores["android_play_store_url"],
            },
        ],
    )


def downgrade() -> None:
    op.drop_table("app_versions")
    op.drop_table("app_config")
