"""Sandbox configuration: defaults from the spec (§4.2), loaded from env/CLI, patched at runtime."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ENV_PREFIX = "EXPO_SANDBOX_"

FieldKind = Literal["int", "float", "bool", "optional_str"]


class ConfigError(ValueError):
    """A config key or value was rejected; the message is safe to show to the caller."""


@dataclass(slots=True)
class SandboxConfig:
    max_notifications_per_request: int = 100
    max_receipt_ids_per_request: int = 1000
    rate_limit_per_second: int = 600
    rate_limit_window_ms: int = 1000
    # Assumption (§4.12): Expo does not document whether rejected recipients use budget.
    rate_limit_counts_rejected: bool = False
    # Fidelity rule: Expo documents no Retry-After, so clients must not come to depend on one.
    retry_after_header: bool = False
    receipts_rate_limit_rps: int = 0
    receipt_delay_ms: int = 0
    receipt_ttl_s: float = 86400.0
    require_access_token: str | None = None
    strict_unknown_fields: bool = False
    max_payload_bytes: int = 4096
    max_body_bytes: int = 5 * 1024 * 1024
    gzip_responses: bool = True
    gzip_min_bytes: int = 1024
    dnr_fraction: float = 0.0
    seed: int = 0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    fault_5xx_rate: float = 0.0
    fault_504_after_accept_rate: float = 0.0
    fault_reset_rate: float = 0.0
    # A TCP reset after the batch was accepted and its tickets issued: the client sees the same error as
    # a reset before processing, and cannot tell the two apart.
    fault_reset_after_accept_rate: float = 0.0
    virtual_clock: bool = False
    message_log_size: int = 100_000
    duplicate_window_s: float = 86400.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def patched(self, patch: Mapping[str, Any], *, from_text: bool = False) -> SandboxConfig:
        """Return a validated copy; the original stays untouched so a bad patch changes nothing."""
        values = self.to_dict()
        for key, raw in patch.items():
            kind = FIELD_KINDS.get(key)
            if kind is None:
                raise ConfigError(f"unknown config key {key!r}")
            values[key] = _coerce_text(key, kind, raw) if from_text else _coerce_json(key, kind, raw)
        new = SandboxConfig(**values)
        new.check()
        return new

    def check(self) -> None:
        for name in _NON_NEGATIVE:
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        for name in _FRACTIONS:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1")
        # The limiter's ring is made of 10 ms buckets (§4.8), so the window must be a whole number of them.
        if self.rate_limit_window_ms < 10 or self.rate_limit_window_ms % 10:
            raise ConfigError("rate_limit_window_ms must be a positive multiple of 10")
        if self.max_notifications_per_request < 1 or self.max_receipt_ids_per_request < 1:
            raise ConfigError("per-request limits must be >= 1")
        if self.message_log_size < 1:
            raise ConfigError("message_log_size must be >= 1")


def _kind_of(field: dataclasses.Field[Any]) -> FieldKind:
    annotation = str(field.type)
    if annotation == "bool":
        return "bool"
    if annotation == "int":
        return "int"
    if annotation == "float":
        return "float"
    if annotation == "str | None":
        return "optional_str"
    raise TypeError(f"unsupported config field type {annotation!r}")  # pragma: no cover


FIELD_KINDS: dict[str, FieldKind] = {f.name: _kind_of(f) for f in dataclasses.fields(SandboxConfig)}

_NON_NEGATIVE = tuple(
    name for name, kind in FIELD_KINDS.items() if kind in ("int", "float") and name != "seed"
)
_FRACTIONS = (
    "dnr_fraction",
    "fault_5xx_rate",
    "fault_504_after_accept_rate",
    "fault_reset_rate",
    "fault_reset_after_accept_rate",
)

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _coerce_json(key: str, kind: FieldKind, raw: Any) -> Any:
    # JSON patches are typed already, so be strict: a string "5" for an int is most likely a caller bug.
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise ConfigError(f"{key} must be a boolean")
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        raise ConfigError(f"{key} must be an integer")
    if kind == "float":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        raise ConfigError(f"{key} must be a number")
    if raw is None or isinstance(raw, str):
        return raw or None
    raise ConfigError(f"{key} must be a string or null")


def _coerce_text(key: str, kind: FieldKind, raw: Any) -> Any:
    text = str(raw).strip()
    try:
        if kind == "bool":
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ConfigError(f"{key} must be a boolean (true/false)")
        if kind == "int":
            number = float(text)  # accepts "1e3"; a fractional value is an error, not a truncation
            if not number.is_integer():
                raise ConfigError(f"{key} must be an integer")
            return int(number)
        if kind == "float":
            return float(text)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(f"{key}: cannot parse {text!r}") from exc
    return text or None


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Collect `EXPO_SANDBOX_<KEY>` values; unrelated variables are ignored so they never break start-up."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name in FIELD_KINDS:
        value = env.get(ENV_PREFIX + name.upper())
        if value is not None:
            found[name] = value
    return found


def load_config(
    cli_values: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> SandboxConfig:
    """Defaults < env < CLI (text) < overrides (typed Python values, e.g. from `running_sandbox`)."""
    config = SandboxConfig().patched(env_overrides(environ), from_text=True)
    if cli_values:
        config = config.patched(cli_values, from_text=True)
    if overrides:
        config = config.patched(overrides)
    return config
