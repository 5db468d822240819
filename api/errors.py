"""Every error leaves the API as `{"detail": <for people>, "code": <for machines>}` (docs/domain.md §1.2)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from domain import errors as domain_errors
from services.transaction import is_transaction_conflict

logger = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}

DOMAIN_STATUS: dict[type[domain_errors.DomainError], int] = {
    domain_errors.RuleBroken: 400,
    domain_errors.Forbidden: 403,
    domain_errors.PlanLimitReached: 403,
    domain_errors.NotFound: 404,
    domain_errors.Conflict: 409,
    domain_errors.InvalidInput: 422,
    domain_errors.DailyLimitReached: 429,
    domain_errors.Unauthenticated: 401,
    domain_errors.Unavailable: 503,
}

UNIQUE_VIOLATION = "23505"
RETRY_AFTER_SECONDS = "1"


def error_response(
    status_code: int,
    detail: str,
    code: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if extra:
        body.update(extra)
    return Response(content=body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, ValidationException) or status == HTTP_400_BAD_REQUEST:
        # Litestar reports malformed bodies and parameters (and undecodable JSON) as 400; the contract
        # says 422. Handlers never raise a bare 400: rule violations are domain errors.
        status = HTTP_422_UNPROCESSABLE_ENTITY
        extra = {"errors": exc.extra} if exc.extra else None
        return error_response(status, exc.detail, HTTP_CODES[status], extra=extra)
    code = HTTP_CODES.get(status, "error" if status < 500 else "internal_error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(status, exc.detail, code, headers=headers)


def handle_domain_error(
    _: Request[Any, Any, Any], exc: domain_errors.DomainError
) -> Response[dict[str, Any]]:
    status = next(
        (status for error_type, status in DOMAIN_STATUS.items() if isinstance(exc, error_type)), 400
    )
    return error_response(status, exc.detail, exc.code, extra=dict(exc.extra) or None)


def handle_integrity_error(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    if (
        getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION
        or "UniqueViolation" in type(exc.orig).__name__
    ):
        return error_response(HTTP_409_CONFLICT, "a concurrent request changed this first", "conflict")
    logger.exception("integrity error", exc_info=exc)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error", "internal_error")


def handle_database_error(_: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """A transaction PostgreSQL aborted for another's sake rolled back whole: 503 with Retry-After,
    logged as a warning so that its rate shows (the API has no metrics: that log line is the count).
    Locks are taken in one order (docs/operations.md), so this is the last resort, not the plan; the
    request is not run again in the server (its body is consumed): the client sends it again."""
    if is_transaction_conflict(exc):
        logger.warning("transaction aborted by the database (%s); the client may retry", exc.orig)
        return error_response(
            HTTP_503_SERVICE_UNAVAILABLE,
            "the server was busy with a conflicting change; please retry",
            "transaction_conflict",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return handle_unexpected(_, exc)


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error", exc_info=exc)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error", "internal_error")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    HTTPException: handle_http_exception,
    domain_errors.DomainError: handle_domain_error,
    IntegrityError: handle_integrity_error,
    DBAPIError: handle_database_error,
    Exception: handle_unexpected,
}
