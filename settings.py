"""One typed settings object, read from environment variables (see README, "Settings").

Every process type (web, worker, scheduler, release) reads the same names, so the API and the workers
can never disagree about a secret or a URL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

# Production rules apply unless APP_ENV says dev or test: a deployment that forgets APP_ENV fails closed.
DEV_ENVIRONMENTS = frozenset({"dev", "test"})
DEFAULT_APP_ENV = "production"
# Only usable where APP_ENV is dev or test; anywhere else startup refuses to run with it.
DEV_ONLY_SECRET = "dev-only-insecure-secret-never-use-in-production"
# HS256 wants a key at least as long as its 32-byte output (RFC 7518 §3.2).
MIN_SECRET_LENGTH = 32
EXPO_PUSH_URL = "https://exp.host"
# Where `python -m tools.expo_sandbox --port 8787` listens.
SANDBOX_PUSH_URL = "http://127.0.0.1:8787"
# The push limiter's window margin; why this much: workers/push/limiter.py DEFAULT_SAFETY_MARGIN_SECONDS.
DEFAULT_EXPO_RATE_LIMIT_MARGIN_MS = 5.0
# Where `make run` serves the API by default; links mailed in dev and test lead there.
DEV_PUBLIC_API_URL = "http://127.0.0.1:8000"
# The key sets the providers publish for their ID tokens.
GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
APPLE_JWKS_URL = "https://appleid.apple.com/auth/keys"
# Where `python -m sandbox.smtp --smtp-port 8025` listens; the SMTP default of dev and test only.
SANDBOX_SMTP_HOST = "127.0.0.1"
SANDBOX_SMTP_PORT = 8025
# Submission port (RFC 6409), with STARTTLS, wherever SMTP_PORT is not given outside dev and test.
SMTP_SUBMISSION_PORT = 587
DEFAULT_MAIL_FROM = "FitNudge <no-reply@fitnudge.app>"
LOG_FORMATS = frozenset({"json", "console"})
# PostHog's US cloud ingestion host.
POSTHOG_HOST = "https://us.i.posthog.com"


class SettingsError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from error


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from error


def _env_list(name: str) -> tuple[str, ...]:
    """A comma-separated list; blanks around and between items are ignored."""
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def _env_bool(name: str) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _env_optional(name: str) -> str | None:
    value = os.environ.get(name)
    return value or None


@dataclass(frozen=True, slots=True)
class Settings:
    app_env: str = field(default_factory=lambda: _env("APP_ENV", DEFAULT_APP_ENV))
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge")
    )
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", "redis://127.0.0.1:6379/0"))
    # Separate namespaces let several deployments (or test sessions) share one Redis without mixing queues.
    dramatiq_namespace: str = field(default_factory=lambda: _env("DRAMATIQ_NAMESPACE", "fitnudge"))
    jwt_secret: str = field(default_factory=lambda: _env("JWT_SECRET", DEV_ONLY_SECRET))
    revenuecat_webhook_secret: str = field(
        default_factory=lambda: _env("REVENUECAT_WEBHOOK_SECRET", DEV_ONLY_SECRET)
    )
    # Empty means the default of APP_ENV: the real Expo service, or the local sandbox in dev and test.
    expo_push_url: str = field(default_factory=lambda: _env("EXPO_PUSH_URL", ""))
    expo_access_token: str | None = field(default_factory=lambda: _env_optional("EXPO_ACCESS_TOKEN"))
    expo_rate_limit_per_second: int = field(
        default_factory=lambda: _env_int("EXPO_RATE_LIMIT_PER_SECOND", 600)
    )
    # Added to the limiter's 1 s window for the jitter between a grant and Expo counting the request
    # (workers/push/limiter.py); it costs throughput: the ceiling is 1 s / (1 s + margin) of the budget.
    expo_rate_limit_margin_ms: float = field(
        default_factory=lambda: _env_float("EXPO_RATE_LIMIT_MARGIN_MS", DEFAULT_EXPO_RATE_LIMIT_MARGIN_MS)
    )
    # Expo advises polling receipts about 15 minutes after sending.
    push_receipt_delay_seconds: int = field(
        default_factory=lambda: _env_int("PUSH_RECEIPT_DELAY_SECONDS", 900)
    )
    # A push Expo did not take (429, 5xx, connection errors) is retried, backing off up to 5 minutes,
    # for this long after its notice was produced (timed notices: until REMINDER_STALE_AFTER_MINUTES).
    push_retry_window_minutes: int = field(
        default_factory=lambda: _env_int("PUSH_RETRY_WINDOW_MINUTES", 24 * 60)
    )
    # How long a push worker may hold claimed deliveries before they count as abandoned (worker died).
    push_claim_lease_seconds: int = field(default_factory=lambda: _env_int("PUSH_CLAIM_LEASE_SECONDS", 300))
    # Where mailed links (data-export downloads) point: this API's public address. Empty = the local
    # API in dev and test; required elsewhere, since a link to a default address leads users nowhere.
    public_api_url: str = field(default_factory=lambda: _env("PUBLIC_API_URL", ""))
    openai_api_key: str | None = field(default_factory=lambda: _env_optional("OPENAI_API_KEY"))
    openai_base_url: str | None = field(default_factory=lambda: _env_optional("OPENAI_BASE_URL"))
    openai_model: str = field(default_factory=lambda: _env("OPENAI_MODEL", "gpt-4o-mini"))
    # How long one AI text may take, retries and waits included, when its prompt names no deadline;
    # past it the feature uses its template.
    openai_timeout_seconds: float = field(default_factory=lambda: _env_float("OPENAI_TIMEOUT_SECONDS", 20.0))
    # One HTTP attempt's own limit, so a hung connection leaves time for a retry within the deadline.
    openai_attempt_timeout_seconds: float = field(
        default_factory=lambda: _env_float("OPENAI_ATTEMPT_TIMEOUT_SECONDS", 10.0)
    )
    openai_max_attempts: int = field(default_factory=lambda: _env_int("OPENAI_MAX_ATTEMPTS", 3))
    # Requests one process has open to the model at once; more wait (within their deadline).
    openai_max_concurrency: int = field(default_factory=lambda: _env_int("OPENAI_MAX_CONCURRENCY", 50))
    # Requests to the model per minute, all processes together (counted in Redis); over it, templates.
    # 0 = no budget. The default is the requests-per-minute limit of OpenAI's first usage tier.
    openai_calls_per_minute: int = field(default_factory=lambda: _env_int("OPENAI_CALLS_PER_MINUTE", 500))
    # Same ceiling as 10 + 10 overflow, but all kept open: overflow connections are closed on return,
    # so under steady load they were reopened (connect + dialect setup) over and over.
    db_pool_size: int = field(default_factory=lambda: _env_int("DB_POOL_SIZE", 20))
    db_max_overflow: int = field(default_factory=lambda: _env_int("DB_MAX_OVERFLOW", 0))
    # A streaming replica for the reads that tolerate one (docs/operations.md "Read replica"); unset,
    # every read goes to DATABASE_URL. Its pool: DB_REPLICA_POOL_SIZE, by default DB_POOL_SIZE.
    database_replica_url: str | None = field(default_factory=lambda: _env_optional("DATABASE_REPLICA_URL"))
    db_replica_pool_size: int = field(
        default_factory=lambda: _env_int("DB_REPLICA_POOL_SIZE", _env_int("DB_POOL_SIZE", 20))
    )
    # Per user and per IP, on login and signup; 0 turns it off (load tests and benchmarks).
    auth_rate_limit_per_minute: int = field(
        default_factory=lambda: _env_int("AUTH_RATE_LIMIT_PER_MINUTE", 10)
    )
    access_token_ttl_seconds: int = field(default_factory=lambda: _env_int("ACCESS_TOKEN_TTL_SECONDS", 900))
    refresh_token_ttl_days: int = field(default_factory=lambda: _env_int("REFRESH_TOKEN_TTL_DAYS", 30))
    # Login with remember_me: the refresh token (and each rotation of it) lives this long instead.
    refresh_token_remember_me_ttl_days: int = field(
        default_factory=lambda: _env_int("REFRESH_TOKEN_REMEMBER_ME_TTL_DAYS", 90)
    )
    # How many proxies in front of the web processes append to X-Forwarded-For; 0 = trust the socket.
    trusted_proxy_count: int = field(default_factory=lambda: _env_int("TRUSTED_PROXY_COUNT", 0))
    # Prefix of the API's own Redis keys (rate-limit counters, activity throttle).
    redis_key_prefix: str = field(default_factory=lambda: _env("REDIS_KEY_PREFIX", "fitnudge"))
    request_max_body_bytes: int = field(default_factory=lambda: _env_int("REQUEST_MAX_BODY_BYTES", 1_048_576))
    # A partner request not answered within this many days expires (§3.4).
    partner_request_ttl_days: int = field(default_factory=lambda: _env_int("PARTNER_REQUEST_TTL_DAYS", 30))
    # Timed notices later than this are dropped instead of being sent out of context.
    reminder_stale_after_minutes: int = field(
        default_factory=lambda: _env_int("REMINDER_STALE_AFTER_MINUTES", 60)
    )
    # Goal reminders firing within this many minutes get their AI text written ahead (reminder_texts.prepare).
    reminder_text_lookahead_minutes: int = field(
        default_factory=lambda: _env_int("REMINDER_TEXT_LOOKAHEAD_MINUTES", 120)
    )
    # Reminder texts asked for per minute at most, earliest fire time first; 0 = no pace. Kept under
    # OPENAI_CALLS_PER_MINUTE (the default leaves a fifth of it to the other AI texts): calls over the
    # budget get no text at all. A peak of N reminders is covered when look-ahead × this ≥ N.
    reminder_texts_per_minute: int = field(default_factory=lambda: _env_int("REMINDER_TEXTS_PER_MINUTE", 400))

    # A partner without a completed or rest-day check-in for this many local days is reported, once per
    # silence, to their accepted partners (§3.11 "Partner inactive").
    partner_inactive_days: int = field(default_factory=lambda: _env_int("PARTNER_INACTIVE_DAYS", 3))
    # Goal insights are generated within the request for at most this long; past it the request answers
    # "generating" and a worker finishes them (docs/domain.md §3.14).
    insights_request_budget_seconds: float = field(
        default_factory=lambda: _env_float("INSIGHTS_REQUEST_BUDGET_SECONDS", 20.0)
    )
    # The coach's reply must be stored this many seconds after the user's message at the latest (the app
    # looks once, 30 s after sending); a model not done by then leaves the fallback reply instead.
    coach_reply_deadline_seconds: float = field(
        default_factory=lambda: _env_float("COACH_REPLY_DEADLINE_SECONDS", 20.0)
    )
    # A claimed coach turn is its run's for this long; past it (or a message nobody claimed for this
    # long) the sweeper re-drives or fails it. Longer than the deadline, so a live run is never doubled.
    coach_claim_lease_seconds: float = field(
        default_factory=lambda: _env_float("COACH_CLAIM_LEASE_SECONDS", 40.0)
    )

    # Accepted `aud` values of provider ID tokens (one client id per app platform); none = sign-in
    # with that provider is switched off.
    google_client_ids: tuple[str, ...] = field(default_factory=lambda: _env_list("GOOGLE_CLIENT_IDS"))
    apple_client_ids: tuple[str, ...] = field(default_factory=lambda: _env_list("APPLE_CLIENT_IDS"))
    google_jwks_url: str = field(default_factory=lambda: _env("GOOGLE_JWKS_URL", GOOGLE_JWKS_URL))
    apple_jwks_url: str = field(default_factory=lambda: _env("APPLE_JWKS_URL", APPLE_JWKS_URL))
    # Unset outside dev and test means no mail leaves: the mail worker refuses to send (SmtpNotConfigured)
    # and the mail waits in outgoing_mail. In dev and test: the local SMTP sink (sandbox/smtp).
    smtp_host: str | None = field(default_factory=lambda: _env_optional("SMTP_HOST"))
    # 0 = the default of APP_ENV: the sink's port in dev and test, 587 elsewhere.
    smtp_port: int = field(default_factory=lambda: _env_int("SMTP_PORT", 0))
    smtp_username: str | None = field(default_factory=lambda: _env_optional("SMTP_USERNAME"))
    smtp_password: str | None = field(default_factory=lambda: _env_optional("SMTP_PASSWORD"))
    # None = the default of APP_ENV: on outside dev and test, off for the local sink.
    smtp_starttls: bool | None = field(default_factory=lambda: _env_bool("SMTP_STARTTLS"))
    mail_from: str = field(default_factory=lambda: _env("MAIL_FROM", DEFAULT_MAIL_FROM))

    # Product analytics (services/product_events.py): nothing is sent without a key.
    posthog_api_key: str | None = field(default_factory=lambda: _env_optional("POSTHOG_API_KEY"))
    posthog_host: str = field(default_factory=lambda: _env("POSTHOG_HOST", POSTHOG_HOST))
    # Log lines as JSON (one object per line, for a log pipeline) or readable console lines; empty = the
    # default of APP_ENV: json outside dev and test, console in them.
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", ""))
    # Metrics (docs/operations.md "Metrics"): the web app's /metrics needs `Authorization: Bearer
    # <METRICS_TOKEN>`; unset outside dev and test, /metrics is not served (404). The worker supervisor
    # and the scheduler serve theirs on these ports (0 = none), meant for the private network only.
    metrics_token: str | None = field(default_factory=lambda: _env_optional("METRICS_TOKEN"))
    worker_metrics_port: int = field(default_factory=lambda: _env_int("WORKER_METRICS_PORT", 9101))
    scheduler_metrics_port: int = field(default_factory=lambda: _env_int("SCHEDULER_METRICS_PORT", 9102))

    def __post_init__(self) -> None:
        if not self.expo_push_url:
            object.__setattr__(self, "expo_push_url", SANDBOX_PUSH_URL if self.is_dev else EXPO_PUSH_URL)
        if self.smtp_host is None and self.is_dev:
            object.__setattr__(self, "smtp_host", SANDBOX_SMTP_HOST)
        if not self.smtp_port:
            object.__setattr__(self, "smtp_port", SANDBOX_SMTP_PORT if self.is_dev else SMTP_SUBMISSION_PORT)
        if self.smtp_starttls is None:
            object.__setattr__(self, "smtp_starttls", not self.is_dev)
        if not self.log_format:
            object.__setattr__(self, "log_format", "console" if self.is_dev else "json")
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(f"LOG_FORMAT must be one of {sorted(LOG_FORMATS)}, got {self.log_format!r}")
        self._check_openai_limits()
        if self.is_dev:
            if not self.public_api_url:
                object.__setattr__(self, "public_api_url", DEV_PUBLIC_API_URL)
            return
        for name, value in (
            ("JWT_SECRET", self.jwt_secret),
            ("REVENUECAT_WEBHOOK_SECRET", self.revenuecat_webhook_secret),
        ):
            if value == DEV_ONLY_SECRET or len(value) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"{name} must be set to a secret of at least {MIN_SECRET_LENGTH} characters "
                    f"when APP_ENV={self.app_env!r} (production rules apply unless APP_ENV is dev or test)"
                )
        if not self.public_api_url:
            raise SettingsError(
                f"PUBLIC_API_URL must be set (the address that links mailed to users start with) "
                f"when APP_ENV={self.app_env!r}"
            )

    def _check_openai_limits(self) -> None:
        for name, value in (
            ("OPENAI_TIMEOUT_SECONDS", self.openai_timeout_seconds),
            ("OPENAI_ATTEMPT_TIMEOUT_SECONDS", self.openai_attempt_timeout_seconds),
            ("OPENAI_MAX_ATTEMPTS", self.openai_max_attempts),
            ("OPENAI_MAX_CONCURRENCY", self.openai_max_concurrency),
            ("COACH_REPLY_DEADLINE_SECONDS", self.coach_reply_deadline_seconds),
        ):
            if value <= 0:
                raise SettingsError(f"{name} must be greater than 0, got {value!r}")
        if self.reminder_text_lookahead_minutes < 0 or self.reminder_texts_per_minute < 0:
            raise SettingsError(
                "REMINDER_TEXT_LOOKAHEAD_MINUTES and REMINDER_TEXTS_PER_MINUTE must be 0 or more"
            )
        if self.coach_claim_lease_seconds <= self.coach_reply_deadline_seconds:
            raise SettingsError("COACH_CLAIM_LEASE_SECONDS must be longer than COACH_REPLY_DEADLINE_SECONDS")
        if self.openai_calls_per_minute < 0:
            raise SettingsError(
                f"OPENAI_CALLS_PER_MINUTE must be 0 (no budget) or more, got {self.openai_calls_per_minute}"
            )

    @property
    def is_dev(self) -> bool:
        return self.app_env in DEV_ENVIRONMENTS


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
