"""Token parsing: well-formedness, project membership and the deterministic behaviour prefixes (§4.6)."""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

DEFAULT_PROJECT = "default"
# The project of a malformed token: it belongs to no project, so it never triggers a project mismatch.
NO_PROJECT = ""

_TOKEN_RE = re.compile(r"(?:ExponentPushToken|ExpoPushToken)\[([^\]]+)\]")
# Same shape Node's isExpoPushToken accepts for bare device ids.
_UUID_RE = re.compile(r"[a-z\d]{8}-[a-z\d]{4}-[a-z\d]{4}-[a-z\d]{4}-[a-z\d]{12}", re.IGNORECASE)

# Order matters: "dnr-ticket-" must win over "dnr-".
BEHAVIOUR_PREFIXES: tuple[str, ...] = (
    "dnr-ticket-",
    "dnr-",
    "toobig-",
    "rate-",
    "mismatch-",
    "provider-",
    "badcreds-",
    "expoerr-",
    "noreceipt-",
    "slow-",
    "flaky-",
)

# Receipt error code produced by a behaviour on every send; flaky-/slow-/noreceipt- are handled separately.
BEHAVIOUR_RECEIPT_ERRORS: dict[str, str] = {
    "dnr-": "DeviceNotRegistered",
    "toobig-": "MessageTooBig",
    "rate-": "MessageRateExceeded",
    "mismatch-": "MismatchSenderId",
    "provider-": "ProviderError",
    "badcreds-": "InvalidCredentials",
    "expoerr-": "ExpoError",
}


class TokenInfo(NamedTuple):
    token: str
    well_formed: bool
    project: str
    behaviour: str | None
    # sha256(token) mod 10,000, so dnr_fraction can change at runtime without reparsing.
    dnr_bucket: int
    # Well-formed and without a behaviour prefix: the send path's fast lane.
    plain: bool


def _parse(token: str) -> TokenInfo:
    bucket = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big") % 10_000
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        well_formed = _UUID_RE.fullmatch(token) is not None
        return TokenInfo(
            token, well_formed, DEFAULT_PROJECT if well_formed else NO_PROJECT, None, bucket, well_formed
        )
    inner = match.group(1)
    project = DEFAULT_PROJECT
    if inner.startswith("p."):
        name, sep, rest = inner[2:].partition(".")
        if sep and name:
            project, inner = name, rest
    behaviour = next((p for p in BEHAVIOUR_PREFIXES if inner.startswith(p)), None)
    return TokenInfo(token, True, project, behaviour, bucket, behaviour is None)


class TokenCatalog:
    """Memoised token parsing; the hot path sees the same tokens again and again in benchmarks."""

    def __init__(self, max_entries: int = 500_000) -> None:
        self._cache: dict[str, TokenInfo] = {}
        self._max = max_entries

    def info(self, token: str) -> TokenInfo:
        found = self._cache.get(token)
        if found is None:
            if len(self._cache) >= self._max:
                self._cache.clear()  # crude but bounded; parsing is cheap enough to redo
            found = self._cache[token] = _parse(token)
        return found

    def infos(self, tokens: list[str]) -> list[TokenInfo]:
        # One C-level pass for the (usual) all-cached case, Python only for the misses.
        found: list[TokenInfo | None] = list(map(self._cache.get, tokens))
        if None in found:
            return [f if f is not None else self.info(t) for f, t in zip(found, tokens, strict=True)]
        return found  # type: ignore[return-value]


def experience_id(project: str) -> str:
    return f"@sandbox/{project}"
