"""The alert rules (ops/prometheus/alerts.yml) and the dashboard (ops/grafana/fitnudge.json) load, and
every series their expressions name is one the code exports: a renamed metric fails here, not in a
silent panel or an alert that can never fire."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import yaml  # type: ignore[import-untyped]  # no stubs in the lock; only read here
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

import services.metrics
from tests.support.database import REPO_ROOT
from workers.queue_metrics import QUEUE_METRIC_NAMES

ALERTS = REPO_ROOT / "ops" / "prometheus" / "alerts.yml"
DASHBOARD = REPO_ROOT / "ops" / "grafana" / "fitnudge.json"
SERIES = re.compile(r"\bfitnudge_[a-z0-9_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
SEED_THRESHOLDS = {
    "QueueDepthHigh": "> 1000",
    "QueueDepthCritical": "> 10000",
    "TaskLatencyHigh": "> 30",
    "TaskLatencyCritical": "> 60",
    "DatabaseStatementsSlow": "> 0.5",
    "DatabaseStatementsCritical": "> 2",
    "PushDeliveryRateLow": "< 0.95",
    "PushDeliveryRateCritical": "< 0.90",
    "ApiErrorRateHigh": "> 0.01",
    "ApiErrorRateCritical": "> 0.05",
}


def exported_series() -> set[str]:
    names = set(QUEUE_METRIC_NAMES)
    for family in REGISTRY.collect():
        if family.name.startswith("fitnudge_"):
            names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> Iterator[str]:
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            yield target["expr"]


async def test_every_expression_names_an_exported_metric(client: httpx.AsyncClient) -> None:
    # One request, so the request metrics (declared by Litestar's middleware on first use) exist.
    await client.get("/api/v1/app-version/check")
    exported = exported_series()
    expressions = [rule["expr"] for rule in alert_rules()] + list(dashboard_expressions())
    assert expressions
    named = {name for expression in expressions for name in SERIES.findall(expression)}
    assert named - exported == set()


def test_the_alerts_carry_the_thresholds_of_the_seed() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    for alert, threshold in SEED_THRESHOLDS.items():
        assert threshold in rules[alert]["expr"], alert
        assert rules[alert]["labels"]["severity"] in {"warning", "critical"}


def test_no_metric_carries_a_label_prometheus_sets_on_every_target() -> None:
    # A scraped series gets its target's `job` and `instance`; a metric's own label of that name is
    # renamed `exported_…`, so an expression grouping by it would group by the scrape job instead.
    declared = [value for value in vars(services.metrics).values() if isinstance(value, MetricWrapperBase)]
    assert declared
    for metric in declared:
        assert not {"job", "instance"} & set(metric._labelnames), metric._name
