"""The scrape endpoint of a process type without a web app of its own (worker supervisor, scheduler):
every process's multiprocess files under `directory`, plus any collectors read at scrape time."""

from __future__ import annotations

import logging
from pathlib import Path

from prometheus_client import CollectorRegistry, multiprocess, start_http_server
from prometheus_client.registry import Collector

__all__ = ["serve_metrics"]

logger = logging.getLogger(__name__)


def serve_metrics(port: int, directory: Path, *collectors: Collector) -> None:
    """Serve on `port` (all interfaces: the platform's private network scrapes it) from a daemon thread;
    port 0 serves nothing."""
    if not port:
        return
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    for collector in collectors:
        registry.register(collector)
    try:
        start_http_server(port, registry=registry)
    except OSError as error:
        # A second copy on one machine (a busy port) still does its work; only its metrics are missing.
        logger.error("metrics: cannot serve on port %d (%s); going on without", port, error)
