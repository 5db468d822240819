"""Domain exceptions: a machine ``code`` for clients and a ``detail`` for people.

The API maps each class to its HTTP status (spec §1.2), so nothing here knows about HTTP:

=====================  ======
class                  status
=====================  ======
``RuleBroken``         400
``Unauthenticated``    401
``Forbidden``          403
``PlanLimitReached``   403
``NotFound``           404
``Conflict``           409
``InvalidInput``       422
``DailyLimitReached``  429
``Unavailable``        503
=====================  ======
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

__all__ = [
    "Conflict",
    "DailyLimitReached",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PlanLimitReached",
    "RuleBroken",
    "Unauthenticated",
    "Unavailable",
]


class DomainError(Exception):
    """Base class. ``extra`` carries machine-readable context (e.g. the counts behind a limit)."""

    default_code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, *, code: str | None = None, extra: Mapping[str, object] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code if code is not None else self.default_code
        self.extra: Mapping[str, object] = MappingProxyType(dict(extra or {}))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r})"


class RuleBroken(DomainError):
    """A business rule refuses the request (400)."""

    default_code = "rule_broken"


class PlanLimitReached(DomainError):
    """The caller's effective plan lacks the feature or its limit is reached (403)."""

    default_code = "plan_limit_reached"


class Forbidden(DomainError):
    """The caller's role or relation to the resource forbids the action (403)."""

    default_code = "forbidden"


class NotFound(DomainError):
    """Unknown, or not visible to the caller (404)."""

    default_code = "not_found"


class Conflict(DomainError):
    """Lost a uniqueness race (409)."""

    default_code = "conflict"


class InvalidInput(DomainError):
    """Malformed input: wrong shape, bad time string, unknown time zone (422)."""

    default_code = "invalid_input"


class DailyLimitReached(DomainError):
    """A per-local-day limit is used up (429)."""

    default_code = "daily_limit_reached"


class Unauthenticated(DomainError):
    """The caller's proof of identity (a credential, a provider's ID token) is not accepted (401)."""

    default_code = "unauthorized"


class Unavailable(DomainError):
    """The action needs something that is switched off or cannot be reached right now (503)."""

    default_code = "unavailable"
