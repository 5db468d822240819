"""Secrets must be real outside dev and test: startup refuses the dev value or a short key."""

from __future__ import annotations

import pytest

from settings import DEV_ONLY_SECRET, Settings, SettingsError
from workers.push.limiter import DEFAULT_BUDGET_PER_SECOND

STRONG = "s" * 40


def test_dev_and_test_accept_the_dev_only_secret() -> None:
    assert Settings(app_env="dev").jwt_secret == DEV_ONLY_SECRET


@pytest.mark.parametrize(
    ("jwt_secret", "webhook_secret"),
    [(DEV_ONLY_SECRET, STRONG), (STRONG, DEV_ONLY_SECRET), ("short-secret", STRONG)],
)
def test_production_refuses_missing_or_weak_secrets(jwt_secret: str, webhook_secret: str) -> None:
    with pytest.raises(SettingsError, match="at least 32 characters"):
        Settings(app_env="production", jwt_secret=jwt_secret, revenuecat_webhook_secret=webhook_secret)


def test_production_starts_with_strong_secrets() -> None:
    settings = Settings(app_env="production", jwt_secret=STRONG, revenuecat_webhook_secret=STRONG + "x")
    assert not settings.is_dev


def test_push_budget_comes_from_the_environment_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPO_RATE_LIMIT_PER_SECOND", raising=False)
    assert Settings().expo_rate_limit_per_second == DEFAULT_BUDGET_PER_SECOND == 600
    monkeypatch.setenv("EXPO_RATE_LIMIT_PER_SECOND", "1200")
    assert Settings().expo_rate_limit_per_second == 1200
    monkeypatch.setenv("EXPO_RATE_LIMIT_PER_SECOND", "0")
    assert Settings().expo_rate_limit_per_second == 0
    monkeypatch.setenv("EXPO_RATE_LIMIT_PER_SECOND", "fast")
    with pytest.raises(SettingsError, match="EXPO_RATE_LIMIT_PER_SECOND"):
        Settings()
