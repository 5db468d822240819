"""Private PostgreSQL clusters: one in a temporary directory on a free port, and a streaming replica of it.

The drills (bench/drills) restart the database server and the read-replica tests pause and stop a
replica; the shared server at 127.0.0.1:5432 serves other sessions and tests, so each of them runs on
clusters of its own (scripts/services.sh starts its private server the same way: initdb/pg_ctl as
the `postgres` user when run as root, since both refuse to run as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from tools.ports import free_port

PG_OS_USER: Final = "postgres"
START_TIMEOUT_S: Final = 60
# How long a new replica may take to connect to its primary and report `streaming`.
STREAMING_TIMEOUT_S: Final = 60
STREAMING_POLL_S: Final = 0.05


def _version_of(initdb: Path) -> tuple[int, ...]:
    """/usr/lib/postgresql/16/bin/initdb → (16,)"""
    return tuple(int(part) for part in initdb.parents[1].name.split(".") if part.isdigit())


def _pg_bin() -> Path:
    """The server tools on PATH, else Debian's newest /usr/lib/postgresql/<version>/bin (the one
    scripts/services.sh picks)."""
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version_of)
    initdb = shutil.which("initdb") or (installed[-1] if installed else None)
    if initdb is None:
        raise RuntimeError("initdb not found: install PostgreSQL (scripts/services.sh server-tools does)")
    return Path(os.path.realpath(initdb)).parent


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.bin = _pg_bin()

    def url_of(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        return ["runuser", "-u", PG_OS_USER, "--", *command] if os.geteuid() == 0 else command

    def _run(self, program: str, *args: str) -> str:
        return subprocess.run(
            self._command(program, *args), check=True, capture_output=True, cwd="/", text=True
        ).stdout

    def _own_directory(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, PG_OS_USER)

    def create(self) -> None:
        self._own_directory()
        # initdb's pg_hba.conf already trusts replication connections from 127.0.0.1, and wal_level
        # defaults to `replica`, so every cluster made here can serve a streaming replica.
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"
        )

    def copy_of(self, primary: Cluster) -> None:
        """This cluster's data directory as a base backup of `primary`, set up (-R: standby.signal and
        primary_conninfo) to start as its streaming replica."""
        self._own_directory()
        self._run(
            "pg_basebackup",
            "-D",
            str(self.data),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "postgres.log")
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            log,
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_S),
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", str(START_TIMEOUT_S))

    def is_running(self) -> bool:
        status = self._command("pg_ctl", "status", "-D", str(self.data))
        return subprocess.run(status, capture_output=True, cwd="/", check=False).returncode == 0

    def query(self, sql: str) -> str:
        """One statement through psql on the cluster's socket: the set-up needs no event loop."""
        return self._run(
            "psql",
            "-h",
            str(self.directory),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-XAtqc",
            sql,
            "postgres",
        ).strip()

    def wait_for(self, condition: str) -> None:
        """Until the query `condition` answers true."""
        deadline = time.monotonic() + STREAMING_TIMEOUT_S
        while self.query(condition) != "t":
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster on port {self.port}: still not {condition!r}")
            time.sleep(STREAMING_POLL_S)

    def wait_streaming(self) -> None:
        """Until this replica is in recovery and its WAL receiver streams from the primary."""
        self.wait_for(
            "SELECT pg_is_in_recovery()"
            " AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')"
        )


@contextmanager
def _temporary_cluster(prefix: str) -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield Cluster(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _running(cluster: Cluster) -> Iterator[Cluster]:
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    with _temporary_cluster("fitnudge-pg-") as cluster:
        cluster.create()
        with _running(cluster):
            yield cluster


@contextmanager
def streaming_replica(primary: Cluster) -> Iterator[Cluster]:
    """A hot standby of the running `primary`, streaming, on a port of its own. Stopping it (a test may
    have done so already) leaves the primary running."""
    with _temporary_cluster("fitnudge-pg-replica-") as replica:
        replica.copy_of(primary)
        replica.start()
        try:
            replica.wait_streaming()
            yield replica
        finally:
            if replica.is_running():
                replica.stop("immediate")
