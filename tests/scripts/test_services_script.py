"""scripts/services.sh against real PostgreSQL/Redis processes.

Private servers go to free ports and a throw-away state directory
(SERVICES_STATE_DIR), so a developer's own .local/ and servers are never touched.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "services.sh"
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))

needs_servers = pytest.mark.skipif(
    not PG_BIN_DIRS or shutil.which("redis-server") is None or shutil.which("psql") is None,
    reason="needs PostgreSQL server binaries, psql and redis-server installed",
)


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on; all sockets are held open together so the ports differ."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def psql(port: int, sql: str, user: str = "postgres") -> str:
    result = subprocess.run(
        ["psql", "-XAt", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "postgres", "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def redis_cli(port: int, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.strip()


def base_env(state_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PG") and key not in {"DATABASE_URL", "REDIS_URL", "EXTRA_DATABASES"}
    }
    env["SERVICES_STATE_DIR"] = str(state_dir)
    env["SERVICES_TIMEOUT"] = "20"
    return env


def kill_leftovers(state_dir: Path) -> None:
    """Last resort if `down` failed: signal whatever the records name."""
    for name, sig in (("postgres", signal.SIGINT), ("redis", signal.SIGTERM)):
        record = state_dir / "services" / f"{name}.started"
        if not record.exists():
            continue
        fields = dict(line.split("=", 1) for line in record.read_text().splitlines() if "=" in line)
        with suppress(KeyError, ValueError, ProcessLookupError):
            os.kill(int(fields["pid"]), sig)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: that is mode 0700 and the postgres OS user must reach the data dir.
    path = Path(tempfile.mkdtemp(prefix="fitnudge-services-test-"))
    path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@needs_servers
def test_up_starts_private_servers_and_down_stops_them(state_dir: Path) -> None:
    pg_port, redis_port = free_ports(2)
    env = base_env(state_dir)
    env["DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:{pg_port}/fitnudge"
    env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    env["EXTRA_DATABASES"] = "fitnudge_test"
    try:
        first = run_script(env, "up")
        assert first.returncode == 0, first.stderr
        assert "postgres: started private server" in first.stdout
        assert "redis: started private server" in first.stdout
        assert 'postgres: created database "fitnudge"' in first.stdout
        assert 'postgres: created database "fitnudge_test"' in first.stdout
        assert (state_dir / "postgres" / "data" / "PG_VERSION").exists()
        databases = psql(pg_port, "SELECT datname FROM pg_database").split()
        assert {"fitnudge", "fitnudge_test"} <= set(databases)
        assert psql(pg_port, "SHOW listen_addresses").strip() == "127.0.0.1"
        assert redis_cli(redis_port, "ping") == "PONG"

        second = run_script(env, "up")
        assert second.returncode == 0, second.stderr
        assert f"postgres: reachable at 127.0.0.1:{pg_port} (left alone)" in second.stdout
        assert f"redis: reachable at 127.0.0.1:{redis_port} (left alone)" in second.stdout
        assert 'postgres: database "fitnudge" already exists' in second.stdout
        assert "started" not in second.stdout
        assert "created" not in second.stdout

        # The optional argument replaces the database named in DATABASE_URL.
        third = run_script({**env, "EXTRA_DATABASES": ""}, "up", "fitnudge_other")
        assert third.returncode == 0, third.stderr
        assert 'postgres: created database "fitnudge_other"' in third.stdout
        assert '"fitnudge"' not in third.stdout

        down = run_script(env, "down")
        assert down.returncode == 0, down.stderr
        assert "postgres: stopped private server" in down.stdout
        assert "redis: stopped private server" in down.stdout
        assert not is_listening(pg_port)
        assert not is_listening(redis_port)

        status = run_script(env, "status")
        assert status.returncode == 0, status.stderr
        assert f"postgres: not reachable at 127.0.0.1:{pg_port}" in status.stdout
        assert f"redis: not reachable at 127.0.0.1:{redis_port}" in status.stdout

        again = run_script(env, "down")
        assert again.returncode == 0, again.stderr
        assert "postgres: nothing to stop" in again.stdout
        assert "redis: nothing to stop" in again.stdout
    finally:
        run_script(env, "down")
        kill_leftovers(state_dir)


def system_servers_usable() -> bool:
    if not (is_listening(5432) and is_listening(6379)):
        return False
    try:
        psql(5432, "SELECT 1")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    return True


@needs_servers
def test_reachable_servers_are_left_alone(state_dir: Path) -> None:
    if not system_servers_usable():
        pytest.skip("needs PostgreSQL (trusting postgres on TCP) at 127.0.0.1:5432 and Redis at :6379")
    database = f"services_test_{secrets.token_hex(4)}"
    env = base_env(state_dir)
    env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    pg_started = psql(5432, "SELECT pg_postmaster_start_time()")
    redis_pid = redis_cli(6379, "info", "server").split("process_id:")[1].split()[0]
    try:
        up = run_script(env, "up")
        assert up.returncode == 0, up.stderr
        assert "postgres: reachable at 127.0.0.1:5432 (left alone)" in up.stdout
        assert "redis: reachable at 127.0.0.1:6379 (left alone)" in up.stdout
        assert f'postgres: created database "{database}"' in up.stdout
        assert "started" not in up.stdout
        assert not list((state_dir / "services").glob("*.started"))

        down = run_script(env, "down")
        assert down.returncode == 0, down.stderr
        assert "postgres: nothing to stop" in down.stdout
        assert "redis: nothing to stop" in down.stdout
        assert psql(5432, "SELECT pg_postmaster_start_time()") == pg_started
        assert redis_cli(6379, "info", "server").split("process_id:")[1].split()[0] == redis_pid
    finally:
        psql(5432, f'DROP DATABASE IF EXISTS "{database}"')


def test_unreachable_remote_server_is_an_error(state_dir: Path) -> None:
    env = base_env(state_dir)
    env["DATABASE_URL"] = "postgresql://postgres@db.invalid:5432/fitnudge"
    result = run_script(env, "up")
    assert result.returncode == 1
    assert "remote server db.invalid:5432 is not reachable" in result.stderr
    assert not list(state_dir.glob("services/*.started"))


@pytest.mark.parametrize(
    ("variable", "url", "message"),
    [
        ("DATABASE_URL", "mysql://root@127.0.0.1/fitnudge", "must start with postgresql://"),
        ("DATABASE_URL", "postgresql:///fitnudge", "must name a TCP host"),
        ("REDIS_URL", "redis://127.0.0.1:70000/0", "cannot parse redis URL"),
    ],
)
def test_bad_urls_are_rejected_clearly(state_dir: Path, variable: str, url: str, message: str) -> None:
    result = run_script({**base_env(state_dir), variable: url}, "status")
    assert result.returncode == 1
    assert message in result.stderr


def test_status_parses_ipv6_and_defaults(state_dir: Path) -> None:
    (port,) = free_ports(1)
    env = base_env(state_dir)
    env["DATABASE_URL"] = f"postgresql://app:secret@[::1]:{port}"
    result = run_script(env, "status")
    assert result.returncode == 0, result.stderr
    assert f"postgres: not reachable at [::1]:{port}" in result.stdout
    # REDIS_URL unset: the default endpoint, whichever state it is in on this machine.
    assert re.search(r"^redis: (not )?reachable at 127\.0\.0\.1:6379$", result.stdout, re.MULTILINE)


def test_unknown_command_prints_usage(state_dir: Path) -> None:
    result = run_script(base_env(state_dir), "restart")
    assert result.returncode == 2
    assert "usage: scripts/services.sh" in result.stderr


def test_missing_packages_are_installed_with_apt(state_dir: Path) -> None:
    """The install path, with apt-get/pg_conftool stubbed: nothing is really installed."""
    stubs = state_dir / "bin"
    stubs.mkdir()
    calls = state_dir / "calls.log"
    for tool in ("apt-get", "pg_conftool"):
        stub = stubs / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n')
        stub.chmod(0o755)
    # Lets the test run as a non-root user too (the script then goes through sudo).
    (stubs / "sudo").write_text('#!/bin/sh\n[ "$1" = "--" ] && shift\nexec "$@"\n')
    (stubs / "sudo").chmod(0o755)
    for tool in ("env", "dirname"):
        real = shutil.which(tool)
        assert real is not None
        (stubs / tool).symlink_to(real)
    script = f'source "{SCRIPT}"; install_postgres_server; ensure_redis_server_binary'
    result = subprocess.run(
        ["/bin/bash", "-c", script],
        env={"PATH": str(stubs)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    conftool = ["pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster off"]
    has_cluster = any(Path("/etc/postgresql").glob("*/*/postgresql.conf"))
    assert lines == [
        "apt-get update -q",
        "apt-get install -y -q --no-install-recommends postgresql-common",
        *([] if has_cluster else conftool),
        "apt-get install -y -q --no-install-recommends postgresql",
        "apt-get install -y -q --no-install-recommends redis-server",
    ]
    assert "apt: installing postgresql" in result.stdout
