"""Secrets must be real outside dev and test (and an unset APP_ENV is not dev): startup refuses the dev
value or a short key."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from settings import DEV_ONLY_SECRET, EXPO_PUSH_URL, SANDBOX_PUSH_URL, Settings, SettingsError
from workers.push.limiter import DEFAULT_BUDGET_PER_SECOND

STRONG = "s" * 40
PUBLIC_URL = "https://api.fitnudge.example"


def test_dev_and_test_accept_the_dev_only_secret() -> None:
    assert Settings(app_env="dev").jwt_secret == DEV_ONLY_SECRET


@pytest.mark.parametrize(
    ("jwt_secret", "webhook_secret"),
    [(DEV_ONLY_SECRET, STRONG), (STRONG, DEV_ONLY_SECRET), ("short-secret", STRONG)],
)
def test_production_refuses_missing_or_weak_secrets(jwt_secret: str, webhook_secret: str) -> None:
    with pytest.raises(SettingsError, match="at least 32 characters"):
        Settings(app_env="production", jwt_secret=jwt_secret, revenuecat_webhook_secret=webhook_secret)


def test_an_unset_app_env_gets_production_rules_and_refuses_the_dev_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an environment that names no APP_ENV and no secrets (a deployment that forgot them)
    for name in ("APP_ENV", "JWT_SECRET", "REVENUECAT_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    # When the settings are read / Then startup stops, naming the secret and why production rules apply
    refusal = r"JWT_SECRET must be set .* APP_ENV='production' \(production rules apply unless"
    with pytest.raises(SettingsError, match=refusal):
        Settings()


@pytest.mark.parametrize(
    ("app_env", "expected"),
    [
        ("dev", SANDBOX_PUSH_URL),
        ("test", SANDBOX_PUSH_URL),
        ("production", EXPO_PUSH_URL),
        ("", EXPO_PUSH_URL),
    ],
)
def test_pushes_go_to_the_local_sandbox_only_in_dev_and_test(
    monkeypatch: pytest.MonkeyPatch, app_env: str, expected: str
) -> None:
    # Given no EXPO_PUSH_URL / When the settings of an environment are read
    monkeypatch.delenv("EXPO_PUSH_URL", raising=False)
    settings = Settings(
        app_env=app_env, jwt_secret=STRONG, revenuecat_webhook_secret=STRONG, public_api_url=PUBLIC_URL
    )
    # Then pushes go to the sandbox in dev and test, and to Expo everywhere else
    assert settings.expo_push_url == expected


def test_an_explicit_expo_push_url_wins_in_every_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPO_PUSH_URL", "http://127.0.0.1:9999")
    assert Settings(app_env="dev").expo_push_url == "http://127.0.0.1:9999"
    production = Settings(
        app_env="production", jwt_secret=STRONG, revenuecat_webhook_secret=STRONG, public_api_url=PUBLIC_URL
    )
    assert production.expo_push_url == "http://127.0.0.1:9999"


def test_production_starts_with_strong_secrets() -> None:
    settings = Settings(
        app_env="production",
        jwt_secret=STRONG,
        revenuecat_webhook_secret=STRONG + "x",
        public_api_url=PUBLIC_URL,
    )
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


def test_provider_client_ids_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLIENT_IDS", " ios.apps.example , ,web.apps.example")
    monkeypatch.delenv("APPLE_CLIENT_IDS", raising=False)
    monkeypatch.delenv("APPLE_JWKS_URL", raising=False)
    settings = Settings(app_env="dev")
    assert settings.google_client_ids == ("ios.apps.example", "web.apps.example")
    assert settings.apple_client_ids == ()
    assert settings.apple_jwks_url == "https://appleid.apple.com/auth/keys"


def test_production_refuses_to_start_without_the_public_api_url() -> None:
    with pytest.raises(SettingsError, match="PUBLIC_API_URL must be set"):
        Settings(app_env="production", jwt_secret=STRONG, revenuecat_webhook_secret=STRONG, public_api_url="")


def test_dev_and_test_mail_links_lead_to_the_local_api_by_default() -> None:
    assert Settings(app_env="test", public_api_url="").public_api_url == "http://127.0.0.1:8000"


def test_the_model_client_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("OPENAI_CALLS_PER_MINUTE", "0")
    settings = Settings(app_env="test")
    assert settings.openai_timeout_seconds == 2.5
    assert settings.openai_calls_per_minute == 0
    monkeypatch.setenv("OPENAI_TIMEOUT_SECONDS", "soon")
    with pytest.raises(SettingsError, match="OPENAI_TIMEOUT_SECONDS must be a number"):
        Settings(app_env="test")


@pytest.mark.parametrize(
    "field",
    [
        "openai_timeout_seconds",
        "openai_attempt_timeout_seconds",
        "openai_max_attempts",
        "openai_max_concurrency",
    ],
)
def test_the_model_client_limits_must_be_positive(field: str) -> None:
    changes: dict[str, Any] = {field: 0}
    with pytest.raises(SettingsError, match=field.upper()):
        replace(Settings(app_env="test"), **changes)


def test_a_negative_call_budget_is_refused() -> None:
    with pytest.raises(SettingsError, match="OPENAI_CALLS_PER_MINUTE"):
        Settings(app_env="test", openai_calls_per_minute=-1)
