"""The schema fuzzer (schemathesis) against the Procfile's web process: no input the OpenAPI document
allows, or any malformed variation of it, makes any operation answer 5xx, and every answer's status,
content type and body are the ones the document declares.

It runs as a signed-in user, with the sign-in providers configured against the local key-set sandbox
(otherwise their routes answer 503 `provider_not_configured` by design), on a fixed seed so that CI
replays the same cases; a failure prints schemathesis's report with a curl line per case.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from sandbox.jwks.testing import RunningJwksServer
from tests.support.processes import procfile_command, running
from tests.support.web_process import wait_until_live
from tools.ports import free_port

BIN = Path(sys.executable).parent
# Cases per operation and phase: enough to reach every validator, small enough for every CI run.
EXAMPLES_PER_OPERATION = 5
SEED = 20261206
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)
FUZZ_TIMEOUT_SECONDS = 900
# Routes that end the fuzzing user's session or account: every later case would only see 401.
EXCLUDED_PATHS = r"^/api/v1/(users/me|auth/logout)$"


async def test_no_generated_request_gets_a_server_error(
    migrated_database: str, jwks_server: RunningJwksServer, tmp_path: Path
) -> None:
    # Given the web process, sign-in providers configured, and a signed-up user
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DB_POOL_SIZE": "4",
        "AUTH_RATE_LIMIT_PER_MINUTE": "0",
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "GOOGLE_CLIENT_IDS": "fuzz-google",
        "APPLE_CLIENT_IDS": "fuzz-apple",
        "GOOGLE_JWKS_URL": jwks_server.jwks_url,
        "APPLE_JWKS_URL": jwks_server.jwks_url,
    }
    log = tmp_path / "web.log"
    with running(procfile_command("web"), env=env, log=log) as process:
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
            await wait_until_live(client, process, log)
            signup = await client.post(
                "/api/v1/auth/signup",
                json={
                    "email": "fuzzer@example.com",
                    "password": "Fuzzing-Passw0rd!",
                    "name": "Fuzzer",
                    "username": "fuzzer",
                },
            )
            assert signup.status_code == 201, signup.text
            token = signup.json()["access_token"]

        # When schemathesis fuzzes every operation of the published document
        fuzz = await asyncio.to_thread(
            subprocess.run,
            [
                str(BIN / "st"),
                "run",
                f"{base_url}/schema/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--seed",
                str(SEED),
                "--header",
                f"Authorization: Bearer {token}",
                "--exclude-path-regex",
                EXCLUDED_PATHS,
                "--no-color",
                "--warnings",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=FUZZ_TIMEOUT_SECONDS,
            # schemathesis keeps a cache of crashes in its working directory: the test's own.
            cwd=tmp_path,
        )

    # Then no case got a 5xx or an answer the document does not declare
    server_log = log.read_text(errors="replace")
    assert fuzz.returncode == 0, f"{fuzz.stdout[-20000:]}\n--- web log ---\n{server_log[-5000:]}"
