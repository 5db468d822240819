"""A request's id reaches the log lines of the actors it caused: the API answers with it and puts it
on every message it enqueues; a worker process logs the actor's run with it and with the task id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import redis.asyncio as aioredis

from services.addresses import MAIL_QUEUE
from services.log_context import REQUEST_ID
from services.messages import ActorAddress, build_client_broker, build_message
from services.transaction import EngineDatabase
from settings import Settings
from tests.support.processes import procfile_command, running
from tests.support.queues import probed_queue
from tests.support.users import ApiUser

FORGOT = "/api/v1/auth/forgot-password"
DEADLINE_SECONDS = 60


async def test_the_api_answers_with_the_callers_id_and_puts_it_on_the_messages_it_sends(
    client: httpx.AsyncClient,
    make_user: Callable[..., Awaitable[ApiUser]],
    redis: aioredis.Redis,
    settings: Settings,
) -> None:
    user = await make_user()
    async with probed_queue(redis, settings, MAIL_QUEUE) as queue:
        response = await client.post(FORGOT, json={"email": user.email}, headers={"X-Request-ID": "req-42"})
        [message] = await queue.messages()
    assert response.headers["x-request-id"] == "req-42"
    assert message["options"]["request_id"] == "req-42"


async def test_an_unusable_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/app-version/check", headers={"X-Request-ID": "a b\\c"})
    assert response.headers["x-request-id"] not in {"", "a b\\c"}
    assert len(response.headers["x-request-id"]) == 32


async def test_a_worker_logs_an_actor_run_with_the_request_id_and_its_task_id(
    committed_database: EngineDatabase, settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    env = {"LOG_FORMAT": "json", "WORKER_PROCESSES": "1", "METRICS_DIR": str(tmp_path / "metrics")}
    with running(procfile_command("worker"), env=env, log=log):
        broker = build_client_broker(settings.redis_url, settings.dramatiq_namespace)
        try:
            message = broker.enqueue(
                build_message_with_request_id(ActorAddress("system.heartbeat", "default"), "req-from-api")
            )
        finally:
            broker.close()
        # (The session's queue may hold other heartbeats; this run's line is the one with its task id.)
        line = await wait_for_line(log, message.message_id, "job=system.heartbeat")
    assert line["request_id"] == "req-from-api"
    assert (line["actor"], line["process_type"], line["logger"]) == (
        "system.heartbeat",
        "worker",
        "workers.jobs",
    )


def build_message_with_request_id(address: ActorAddress, request_id: str) -> dramatiq.Message[Any]:
    """As the API builds it inside a request (services/messages.build_message under REQUEST_ID)."""
    token = REQUEST_ID.set(request_id)
    try:
        return build_message(address)
    finally:
        REQUEST_ID.reset(token)


def json_line(log: Path, wanted: tuple[str, ...]) -> dict[str, object] | None:
    for raw in log.read_text().splitlines() if log.exists() else []:
        if all(part in raw for part in wanted) and raw.startswith("{"):
            parsed: dict[str, object] = json.loads(raw)
            return parsed
    return None


async def wait_for_line(log: Path, *wanted: str) -> dict[str, object]:
    for _ in range(DEADLINE_SECONDS * 4):
        if (line := json_line(log, wanted)) is not None:
            return line
        await asyncio.sleep(0.25)
    raise AssertionError(f"no JSON line with {wanted!r} in {log}")
