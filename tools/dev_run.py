"""`make run`: web + worker + scheduler (+ the local Expo, SMTP, JWKS and OpenAI sandboxes) in one terminal.

Prints the URLs, and stops everything it started on Ctrl-C or SIGTERM (to it or to the `make` that
started it), or as soon as one of its processes dies (a half-running system is worse than a stopped one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from services.metrics_setup import MULTIPROC_ENV, use_multiprocess_dir
from workers.supervisor import die_with_parent

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POLL_SECONDS = 0.5
SANDBOX_START_TIMEOUT_SECONDS = 15
# Any bearer key passes the OpenAI stub; this one says where it came from.
SANDBOX_OPENAI_KEY = "sk-sandbox"
SANDBOX_POSTHOG_KEY = "phc_sandbox"


def start(command: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    # Sessions of their own (stopped group by group below), and a TERM when this process dies even by
    # SIGKILL, so nothing `make run` started outlives it.
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        command,
        cwd=REPO_ROOT,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent,
        text=True,
        **kwargs,
    )


def start_sandbox(env: dict[str, str], module: str, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `python -m <module>` on free ports; returns it and the addresses its LISTENING line names."""
    sandbox = start(
        [str(BIN / "python"), "-m", module, "--host", "127.0.0.1", *args], env, stdout=subprocess.PIPE
    )
    deadline = time.monotonic() + SANDBOX_START_TIMEOUT_SECONDS
    assert sandbox.stdout is not None
    while time.monotonic() < deadline:
        line = sandbox.stdout.readline()
        if line.startswith("LISTENING "):
            return sandbox, line.split()[1:]
        if not line and sandbox.poll() is not None:
            break
    stop([sandbox])
    raise SystemExit(f"{module} did not start")


def stop(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    env = dict(os.environ)
    port = env.setdefault("PORT", "8000")
    # Mailed links (data export) must lead back to this copy, whatever port it serves on.
    env.setdefault("PUBLIC_API_URL", f"http://127.0.0.1:{port}")
    # Two copies of `make run` on one Redis (different databases) must not share queues.
    database_name = urlsplit(env.get("DATABASE_URL", "")).path.lstrip("/") or "fitnudge"
    env.setdefault("DRAMATIQ_NAMESPACE", f"fitnudge-{database_name}")
    env.setdefault("WORKER_PROCESSES", "1")
    env.setdefault("WORKER_THREADS", "4")

    processes: list[subprocess.Popen[str]] = []
    if "EXPO_PUSH_URL" not in os.environ:
        sandbox, [sandbox_url] = start_sandbox(env, "sandbox.expo", "--port", "0")
        processes.append(sandbox)
        env["EXPO_PUSH_URL"] = sandbox_url
        print(f"expo sandbox  {sandbox_url}  (stats: {sandbox_url}/__sandbox/stats)", flush=True)
    if "SMTP_HOST" not in os.environ:
        sink, [smtp_url, mailbox_url] = start_sandbox(
            env, "sandbox.smtp", "--smtp-port", "0", "--http-port", "0"
        )
        processes.append(sink)
        smtp = urlsplit(smtp_url)
        env.update(SMTP_HOST=smtp.hostname or "127.0.0.1", SMTP_PORT=str(smtp.port), SMTP_STARTTLS="false")
        print(f"smtp sink     {smtp_url}  (received mail: {mailbox_url}/messages?to=<address>)", flush=True)
    if "GOOGLE_JWKS_URL" not in os.environ and "APPLE_JWKS_URL" not in os.environ:
        jwks, [jwks_url] = start_sandbox(env, "sandbox.jwks", "--port", "0")
        processes.append(jwks)
        env["GOOGLE_JWKS_URL"] = env["APPLE_JWKS_URL"] = f"{jwks_url}/keys"
        # The audiences demo tokens are signed for (sandbox/jwks/README.md).
        env.setdefault("GOOGLE_CLIENT_IDS", "sandbox-google")
        env.setdefault("APPLE_CLIENT_IDS", "sandbox-apple")
        print(f"jwks sandbox  {jwks_url}  (ID tokens: POST {jwks_url}/__sandbox/id-token)", flush=True)

    if "OPENAI_API_KEY" not in os.environ:
        # The stub writes the AI texts, so the model path (not only the templates) runs locally.
        stub, [stub_url] = start_sandbox(env, "sandbox.openai", "--port", "0")
        processes.append(stub)
        env.update(OPENAI_API_KEY=SANDBOX_OPENAI_KEY, OPENAI_BASE_URL=stub_url)
        control_url = stub_url.removesuffix("/v1")
        print(f"openai stub   {stub_url}  (requests: {control_url}/__stub/requests)", flush=True)

    if "POSTHOG_API_KEY" not in os.environ:
        posthog, [posthog_url] = start_sandbox(env, "sandbox.posthog", "--port", "0")
        processes.append(posthog)
        env.update(POSTHOG_API_KEY=SANDBOX_POSTHOG_KEY, POSTHOG_HOST=posthog_url)
        print(f"posthog stub  {posthog_url}  (events: {posthog_url}/__sandbox/events)", flush=True)

    # The web processes' metric files of an earlier run would be added to this one's.
    env[MULTIPROC_ENV] = str(use_multiprocess_dir("web", own=True))
    processes.append(
        start(
            [
                str(BIN / "uvicorn"),
                "--factory",
                "api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                # As in the Procfile: the client IP is the app's call (TRUSTED_PROXY_COUNT), not uvicorn's.
                "--no-proxy-headers",
            ],
            env,
        )
    )
    processes.append(
        start(
            [
                str(BIN / "python"),
                "-m",
                "workers.supervisor",
                "--processes",
                env["WORKER_PROCESSES"],
                "--threads",
                env["WORKER_THREADS"],
            ],
            env,
        )
    )
    processes.append(start([str(BIN / "python"), "-m", "workers.scheduler"], env))
    print(
        f"api           http://127.0.0.1:{port}/api/v1  (OpenAPI: http://127.0.0.1:{port}/schema)", flush=True
    )
    print(f"health        http://127.0.0.1:{port}/health/ready", flush=True)
    print(
        f"metrics       http://127.0.0.1:{port}/metrics (web), "
        f"http://127.0.0.1:{env.get('WORKER_METRICS_PORT', '9101')}/metrics (worker), "
        f"http://127.0.0.1:{env.get('SCHEDULER_METRICS_PORT', '9102')}/metrics (scheduler)",
        flush=True,
    )
    print("Ctrl-C stops everything.", flush=True)

    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    # `make` does not pass SIGTERM on to its children: when the parent that started us goes away,
    # stop as if we had been told to.
    parent = os.getppid()
    while not stopping and os.getppid() == parent:
        dead = [process for process in processes if process.poll() is not None]
        if dead:
            print(f"process {dead[0].args!r} exited with {dead[0].returncode}; stopping", file=sys.stderr)
            exit_code = 1
            break
        time.sleep(POLL_SECONDS)
    stop(processes)
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
