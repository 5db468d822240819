"""A real Prometheus beside the run: it scrapes the three process types as an operator's would, loads
the repository's alert rules (ops/prometheus/alerts.yml) and evaluates them during the run; afterwards
its HTTP API gives the series for the report and the alerts that went pending or firing.

The server is Debian's `prometheus` package, installed when missing (bench/debian_tools.py).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml  # type: ignore[import-untyped]  # no stubs in the lock

from bench.debian_tools import ensure_command

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERT_RULES = REPO_ROOT / "ops" / "prometheus" / "alerts.yml"
SCRAPE_INTERVAL_S = 5
READY_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class Targets:
    web: str  # host:port of the web app (/metrics)
    worker: str
    scheduler: str


@dataclass(frozen=True, slots=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]  # (unix time, value)


@dataclass(frozen=True, slots=True)
class AlertVerdict:
    name: str
    severity: str
    expression_true_s: float  # how long its expression held during the run (scrape resolution)
    where: list[str]  # the label sets it held for (a queue, a process…)
    pending: bool  # Prometheus had it pending (true, `for:` not yet served)
    firing: bool


def _config(targets: Targets) -> dict[str, Any]:
    interval = f"{SCRAPE_INTERVAL_S}s"
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(ALERT_RULES)],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [address]}]}
            for name, address in (
                ("web", targets.web),
                ("worker", targets.worker),
                ("scheduler", targets.scheduler),
            )
        ],
    }


class Prometheus:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.base_url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()["data"]

    def range(
        self, expression: str, start: datetime, end: datetime, step_s: float = SCRAPE_INTERVAL_S
    ) -> list[Series]:
        data = self._get(
            "/api/v1/query_range", query=expression, start=start.timestamp(), end=end.timestamp(), step=step_s
        )
        return [
            Series(result["metric"], [(float(t), float(v)) for t, v in result["values"]])
            for result in data["result"]
        ]

    def alert_verdicts(self, start: datetime, end: datetime) -> list[AlertVerdict]:
        """Every rule of the alerts file: how long its expression held, and whether Prometheus took it
        to pending or firing during [start, end]."""
        states: dict[str, set[str]] = {}
        for series in self.range("ALERTS", start, end):
            states.setdefault(series.labels["alertname"], set()).add(series.labels["alertstate"])
        verdicts = []
        for rule in load_rules():
            held = self.range(rule["expr"], start, end)
            instants = {t for series in held for t, _ in series.points}
            verdicts.append(
                AlertVerdict(
                    name=rule["alert"],
                    severity=rule.get("labels", {}).get("severity", ""),
                    expression_true_s=len(instants) * SCRAPE_INTERVAL_S,
                    where=sorted({_labels(series.labels) for series in held if series.points}),
                    pending="pending" in states.get(rule["alert"], set()),
                    firing="firing" in states.get(rule["alert"], set()),
                )
            )
        return verdicts


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items())) or "all"


def load_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERT_RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


@contextmanager
def running_prometheus(targets: Targets, directory: Path, port: int) -> Iterator[Prometheus]:
    binary = ensure_command("prometheus")
    config = directory / "prometheus.yml"
    config.write_text(yaml.safe_dump(_config(targets)))
    log = open(directory / "prometheus.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{base_url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start (log: {directory / 'prometheus.log'})")
            time.sleep(0.2)
        yield Prometheus(base_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
