"""Each process type serves its metrics: the worker supervisor its children's (task outcome, latency,
job counts, SQL statement time), the scheduler the queue depths read from Redis, the web app its
requests by route template. Real processes, real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from services.messages import ActorAddress, build_client_broker, build_message
from services.transaction import EngineDatabase
from settings import Settings
from tests.support.client import api_client
from tests.support.processes import procfile_command, running, scheduler_command
from tests.support.savepoint_database import SavepointDatabase
from tests.support.users import ApiUser
from tools.ports import free_port

HEARTBEAT = ActorAddress("system.heartbeat", "default")
DEADLINE_SECONDS = 60


async def scrape_until(port: int, wanted: str) -> str:
    """The endpoint's text once it contains `wanted` (processes take a few seconds to start)."""
    text = ""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(DEADLINE_SECONDS * 4):
            try:
                text = (await client.get("/metrics")).text
            except httpx.TransportError:
                text = ""
            if wanted in text:
                return text
            await asyncio.sleep(0.25)
    raise AssertionError(f"{wanted!r} never appeared on port {port}:\n{text[-3000:]}")


async def test_the_worker_supervisor_serves_what_its_children_record(
    committed_database: EngineDatabase, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "WORKER_METRICS_PORT": str(port),
        "METRICS_DIR": str(tmp_path / "metrics"),
        "WORKER_PROCESSES": "1",
    }
    with running(procfile_command("worker"), env=env, log=tmp_path / "worker.log"):
        broker = build_client_broker(settings.redis_url, settings.dramatiq_namespace)
        try:
            broker.enqueue(build_message(HEARTBEAT))
        finally:
            broker.close()
        text = await scrape_until(
            port, 'fitnudge_tasks_total{actor="system.heartbeat",outcome="ok",queue="default"} 1.0'
        )
    assert 'fitnudge_job_counts_total{count="recorded",periodic_job="system.heartbeat"} 1.0' in text
    assert 'fitnudge_task_latency_seconds_count{actor="system.heartbeat",queue="default"} 1.0' in text
    assert "fitnudge_db_statement_seconds_count" in text


def sample(text: str, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(text):
        for metric in family.samples:
            if metric.name == name and metric.labels == labels:
                return float(metric.value)
    raise AssertionError(f"no {name}{labels} in:\n{text[-3000:]}")


async def test_the_scheduler_serves_the_queue_depths(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    broker = build_client_broker(settings.redis_url, settings.dramatiq_namespace)
    try:
        # Waiting messages no worker takes (none runs here); the scheduler adds its own ticks.
        for _ in range(3):
            broker.enqueue(build_message(ActorAddress("system.heartbeat", "mail")))
        env = {"SCHEDULER_METRICS_PORT": str(port), "METRICS_DIR": str(tmp_path / "metrics")}
        with running(scheduler_command(), env=env, log=tmp_path / "scheduler.log"):
            text = await scrape_until(port, 'fitnudge_queue_depth{queue="mail"}')
    finally:
        broker.flush_all()
        broker.close()
    assert sample(text, "fitnudge_queue_depth", {"queue": "mail"}) >= 3
    assert sample(text, "fitnudge_queue_dead_letters", {"queue": "push"}) == 0


async def test_the_web_app_counts_requests_by_route_template(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[ApiUser]]
) -> None:
    user = await make_user()
    missing = "00000000-0000-0000-0000-000000000000"
    await client.get(f"/api/v1/goals/{missing}", headers=user.headers)
    text = (await client.get("/metrics")).text
    assert 'path="/api/v1/goals/{goal_id}"' in text
    assert missing not in text


@pytest.mark.parametrize(
    ("production", "token", "header", "status"),
    [
        (True, None, None, 404),  # no token configured: not served at all
        (True, "s3cret-token", "Bearer s3cret-token", 200),
        (False, "s3cret-token", None, 401),
        (False, "s3cret-token", "Bearer wrong", 401),
        (False, None, None, 200),  # dev and test without a token: open, for make run
    ],
)
async def test_metrics_need_the_token(
    settings: Settings,
    database: SavepointDatabase,
    production: bool,
    token: str | None,
    header: str | None,
    status: int,
) -> None:
    changed = replace(settings, metrics_token=token)
    if production:
        changed = replace(
            changed,
            app_env="production",
            jwt_secret="j" * 32,
            revenuecat_webhook_secret="r" * 32,
            public_api_url="https://api.example.test",
        )
    headers = {"Authorization": header} if header else {}
    async with api_client(create_app(changed, database=database)) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
