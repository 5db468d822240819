"""The Procfile's web process, started as a PaaS starts it: uvicorn serving the real app on a port."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import httpx

from tests.support.database import REPO_ROOT
from tests.support.processes import procfile_command, running
from tests.support.web_process import START_TIMEOUT_SECONDS, wait_until_live
from tools.ports import free_port

LIMIT = 2


async def test_a_caller_on_the_same_host_cannot_pick_its_ip_with_a_forged_forwarded_for(
    migrated_database: str, tmp_path: Path
) -> None:
    # Given the web process with no trusted proxy and a limit of 2 login attempts per IP
    port = free_port()
    env = {
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DB_POOL_SIZE": "2",
        "TRUSTED_PROXY_COUNT": "0",
        "AUTH_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    log = tmp_path / "web.log"
    with running(procfile_command("web"), env=env, log=log) as process:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            await wait_until_live(client, process, log)
            # When a client on 127.0.0.1 tries other accounts, claiming another X-Forwarded-For each time
            statuses = [
                (
                    await client.post(
                        "/api/v1/auth/login",
                        json={"email": f"victim{n}@example.com", "password": "not the password"},
                        headers={"X-Forwarded-For": f"1.2.3.{n}"},
                    )
                ).status_code
                for n in range(LIMIT + 1)
            ]
    # Then every attempt counts against 127.0.0.1, and the one beyond the limit is refused
    assert statuses == [401] * LIMIT + [429]


def test_the_web_process_refuses_to_start_when_app_env_is_not_set() -> None:
    # Given an environment with no APP_ENV and no secrets (a deployment that forgot them)
    forgotten = {"APP_ENV", "JWT_SECRET", "REVENUECAT_WEBHOOK_SECRET"}
    env = {name: value for name, value in os.environ.items() if name not in forgotten}
    env.update(PORT=str(free_port()), WEB_CONCURRENCY="1")
    # When the web process starts
    result = subprocess.run(
        procfile_command("web"),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    # Then it exits with the reason instead of serving with the dev-only secrets
    assert result.returncode != 0
    assert "JWT_SECRET must be set to a secret of at least 32 characters" in result.stderr
