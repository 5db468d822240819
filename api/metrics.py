"""The web processes' metrics: request rate and latency by route template and status (Litestar's
Prometheus middleware, `fitnudge_request*`), and `GET /metrics`, which adds up every uvicorn worker's
values (multiprocess files: services/metrics_setup.py) together with everything services/metrics.py
declares that a web process records (SQL statement time, AI calls of the requests).

/metrics is for Prometheus, not for the app: it needs `Authorization: Bearer <METRICS_TOKEN>` when a
token is set, and outside dev and test it is not served at all without one (it names routes and
volumes an outsider has no business seeing).
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from api.resources import app_resources
from services.metrics import PREFIX, SHORT_BUCKETS
from services.metrics_setup import MULTIPROC_ENV

__all__ = ["metrics", "request_metrics"]

request_metrics = PrometheusConfig(
    app_name="fitnudge",
    prefix=PREFIX,
    # Route templates (/api/v1/goals/{goal_id}), not raw paths: one series per route, not per id.
    group_path=True,
    buckets=list(SHORT_BUCKETS),
    exclude=["^/metrics$", "^/health"],
)


def registry() -> CollectorRegistry:
    if MULTIPROC_ENV not in os.environ:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
    return collected


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    settings = app_resources(request.app).settings
    token = settings.metrics_token
    if token is None and not settings.is_dev:
        raise NotFoundException()
    if token is not None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException("metrics need Authorization: Bearer <METRICS_TOKEN>")
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)
